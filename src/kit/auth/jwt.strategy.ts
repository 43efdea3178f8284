import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppConfig } from '../config/app-config';
import type { JwtSettings } from './jwt.config';
import { JwtKeyResolver } from './jwt-key.resolver';
import { JwtVerifierHook } from './jwt-verifier.hook';
import type { Principal } from './principal';
import { TokenRejectedError } from './token-rejected.error';
import { TokenVerdictCache } from './token-verdict.cache';

/**
 * Verified-token cache bounds (TokenVerdictCache explains each). A minute at most per entry:
 * long enough that a client's burst costs one signature check, short enough that nothing lives
 * far from a fresh verification; rejections for five seconds.
 */
const TOKEN_CACHE = {
  maxEntries: 10_000,
  maxFailures: 1_000,
  maxTtlMs: 60_000,
  failureTtlMs: 5_000,
} as const;

interface AccessTokenClaims {
  sub?: unknown;
  iat?: unknown;
  exp?: unknown;
  scope?: unknown;
}

/**
 * passport-jwt, configured as RFC 8725 / RFC 9068 ask.
 *
 * Security: issuer, audience and algorithms sit at the top level of the options; passport-jwt
 * overwrites them with `undefined` when they are only inside `jsonWebTokenOptions`, and the
 * checks silently vanish. The token is read from `Authorization: Bearer` only, never from the
 * query string, a body field or a cookie (RFC 6750 §2.3; docs/threat-model.md, promise P5).
 * Verification goes through the verified-token cache (JwtVerifierHook), so a client that repeats
 * its token pays for one signature check, not one per request.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  /**
   * The strategy passport authenticates `jwt` with: PassportStrategy registers each new instance
   * under that name in passport's one registry, replacing the one before, and so does this.
   */
  static registered: JwtStrategy | undefined;
  private readonly settings: JwtSettings;
  private readonly verdicts: TokenVerdictCache;

  constructor(config: AppConfig, resolver: JwtKeyResolver) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKeyProvider: (
        _req: Request,
        rawToken: string,
        done: (err: unknown, key?: string | Buffer) => void,
      ) => {
        void resolver.resolve(rawToken).then(
          (key) => {
            // jsonwebtoken takes a KeyObject; passport-jwt's types predate that.
            done(null, key as unknown as Buffer);
          },
          (err: unknown) => {
            done(err);
          },
        );
      },
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      algorithms: config.jwt.algorithms,
      ignoreExpiration: false,
      // Only options passport-jwt does not set itself go here; it overwrites the others.
      // eslint-disable-next-line @typescript-eslint/no-deprecated -- the one place for clockTolerance
      jsonWebTokenOptions: { clockTolerance: config.jwt.clockToleranceSeconds },
    });
    this.settings = config.jwt;
    this.verdicts = new TokenVerdictCache({
      ...TOKEN_CACHE,
      clockToleranceSeconds: config.jwt.clockToleranceSeconds,
    });
    JwtVerifierHook.attach(this, this.verdicts);
    JwtStrategy.registered = this;
  }

  /**
   * The answer for a token the verified-token cache holds a verdict for, without running
   * passport's flow again: the exact token string verified in full earlier (its header checks,
   * key, signature, `alg`, `iss`, `aud`), `exp` and `nbf` checked again by the lookup, then
   * validate() as on every request; or the reason it was rejected, thrown. Undefined when the
   * cache has no verdict: the token goes through passport-jwt in full.
   */
  remembered(token: string): Principal | undefined {
    const verdict = this.verdicts.lookup(TokenVerdictCache.digest(token));
    if (!verdict) return undefined;
    if ('rejected' in verdict) throw new TokenRejectedError(verdict.rejected);
    return this.validate(verdict.verified);
  }

  /**
   * Checks jsonwebtoken does not make (docs/threat-model.md, promise P7): `exp`, `iat` and `sub`
   * required (RFC 9068 §2.2), no `iat` in the future, a bounded lifetime (RFC 6750 §5.3). They
   * run on every request, also when the signature verdict came from the verified-token cache.
   */
  validate(claims: AccessTokenClaims): Principal {
    const { sub, iat, exp, scope } = claims;
    if (typeof sub !== 'string' || sub.length === 0 || sub.length > 255) {
      throw new TokenRejectedError('missing_claim');
    }
    if (typeof iat !== 'number' || typeof exp !== 'number') {
      throw new TokenRejectedError('missing_claim');
    }
    const now = Math.floor(Date.now() / 1000);
    if (iat > now + this.settings.clockToleranceSeconds) {
      throw new TokenRejectedError('issued_in_future');
    }
    if (exp - iat > this.settings.maxLifetimeSeconds) {
      throw new TokenRejectedError('lifetime_too_long');
    }
    if (scope !== undefined && typeof scope !== 'string') {
      throw new TokenRejectedError('missing_claim');
    }
    return {
      kind: 'user',
      subject: sub,
      scopes: new Set((scope ?? '').split(' ').filter((s) => s.length > 0)),
    };
  }
}
