import { JwtService } from '@nestjs/jwt';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '../config/app-config';

export interface MintOptions {
  subject: string;
  scopes: readonly string[];
  ttlSeconds?: number;
}

/**
 * The development issuer: signs access tokens with the generated RS256 key, for local use only.
 * It exists only outside production, and only when no real key source is configured.
 */
export class DevIssuer {
  private readonly jwt: JwtService;

  constructor(private readonly config: AppConfig) {
    const source = config.jwt.keySource;
    if (source.kind !== 'dev-issuer' || config.isProduction) {
      throw new Error('The development issuer runs only outside production with no key source set');
    }
    this.jwt = new JwtService({ privateKey: source.signingKey });
  }

  /** The public key as an RFC 7517 JWK Set, as an identity provider would publish it. */
  jwks(): { keys: Record<string, unknown>[] } {
    const source = this.config.jwt.keySource;
    if (source.kind !== 'dev-issuer') return { keys: [] };
    const jwk = source.key.export({ format: 'jwk' });
    return {
      keys: [{ kty: jwk.kty, n: jwk.n, e: jwk.e, kid: source.kid, alg: 'RS256', use: 'sig' }],
    };
  }

  mint(options: MintOptions): string {
    const source = this.config.jwt.keySource;
    const kid = source.kind === 'dev-issuer' ? source.kid : undefined;
    const ttl = Math.min(options.ttlSeconds ?? 900, this.config.jwt.maxLifetimeSeconds);
    return this.jwt.sign(
      { scope: options.scopes.join(' '), client_id: 'leakproof-dev', jti: randomUUID() },
      {
        algorithm: 'RS256',
        keyid: kid,
        header: { alg: 'RS256', typ: 'at+jwt' },
        issuer: this.config.jwt.issuer,
        audience: this.config.jwt.audience,
        subject: options.subject,
        expiresIn: ttl,
      },
    );
  }
}
