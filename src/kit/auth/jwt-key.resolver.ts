import { Inject, Injectable } from '@nestjs/common';
import { createPublicKey, KeyObject } from 'node:crypto';
import { JwksClient } from 'jwks-rsa';
import { AppConfig } from '../config/app-config';
import { DevKeyMaterial } from './dev-key-material';
import type { JwtSettings } from './jwt.config';
import { TokenRejectedError } from './token-rejected.error';

/** Larger than any access token we issue or expect; Node caps all headers at 16 KiB anyway. */
const MAX_TOKEN_LENGTH = 8192;
const JWKS_CACHE_MS = 10 * 60_000;
const KID = /^[A-Za-z0-9._~-]{1,128}$/;
/**
 * Header parameters we refuse outright. Keys come only from configuration, never from the
 * token (RFC 8725 §3.10, ASVS 9.1.3, attacks A7/A8); `crit` names extensions we do not
 * implement, so the token is invalid (RFC 7515 §4.1.11, A16); `cty`/`b64` mean nested or
 * unencoded payloads we do not accept (RFC 8725 §3.3).
 */
const FORBIDDEN_HEADERS = ['jku', 'x5u', 'jwk', 'x5c', 'crit', 'cty', 'b64'] as const;

/**
 * Runs before any signature check: rejects tokens whose shape or header is wrong, then picks
 * the verification key from configuration. Only a KeyObject leaves here, parsed once, because
 * jsonwebtoken re-parses string keys on every call.
 */
@Injectable()
export class JwtKeyResolver {
  private readonly settings: JwtSettings;
  private readonly jwks: JwksClient | null;
  /** The one verification key, when it is not fetched from a JWKS. */
  private readonly key: KeyObject | null;
  private readonly jwksKeys = new Map<string, { key: KeyObject; expires: number }>();

  constructor(config: AppConfig, @Inject(DevKeyMaterial) devKeys: DevKeyMaterial | null) {
    this.settings = config.jwt;
    const source = this.settings.keySource;
    this.key = JwtKeyResolver.configuredKey(source, devKeys);
    // Security: cache keys, rate-limit refetches, bound each fetch in time, so tokens with
    // unknown `kid`s cannot turn into a flood of fetches (docs/threat-model.md, section 9).
    this.jwks =
      source.kind === 'jwks'
        ? new JwksClient({
            jwksUri: source.uri,
            cache: true,
            cacheMaxEntries: 10,
            cacheMaxAge: JWKS_CACHE_MS,
            rateLimit: true,
            jwksRequestsPerMinute: 10,
            timeout: 5000,
          })
        : null;
  }

  async resolve(rawToken: string): Promise<KeyObject> {
    const header = this.checkHeader(rawToken);
    if (this.key) return this.key;
    return this.jwksKey(header.kid);
  }

  private static configuredKey(
    source: JwtSettings['keySource'],
    devKeys: DevKeyMaterial | null,
  ): KeyObject | null {
    if (source.kind === 'jwks') return null;
    if (source.kind !== 'dev-issuer') return source.key;
    if (!devKeys) throw new Error('The development issuer needs its key material loaded');
    return devKeys.publicKey;
  }

  private checkHeader(rawToken: string): Record<string, unknown> {
    if (rawToken.length > MAX_TOKEN_LENGTH) throw new TokenRejectedError('too_long');
    const parts = rawToken.split('.');
    if (parts.length !== 3) throw new TokenRejectedError('malformed');
    // Security: an empty signature never reaches a verifier (A2, and A15's crash path).
    if (parts[2].length === 0) throw new TokenRejectedError('bad_signature');
    let header: unknown;
    try {
      header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    } catch {
      throw new TokenRejectedError('malformed');
    }
    if (typeof header !== 'object' || header === null || Array.isArray(header)) {
      throw new TokenRejectedError('malformed');
    }
    const h = header as Record<string, unknown>;
    // Security: RFC 8725 §3.1 — only the configured algorithms, compared exactly (A1, A4).
    if (typeof h.alg !== 'string' || !(this.settings.algorithms as string[]).includes(h.alg)) {
      throw new TokenRejectedError('bad_algorithm');
    }
    if (FORBIDDEN_HEADERS.some((name) => name in h)) throw new TokenRejectedError('bad_header');
    // Security: RFC 9068 §4, RFC 8725 §3.11 — explicit typing; `application/` prefix optional.
    const typ = typeof h.typ === 'string' ? h.typ.toLowerCase().replace(/^application\//, '') : '';
    if (!this.settings.tokenTypes.includes(typ)) throw new TokenRejectedError('bad_type');
    if (h.kid !== undefined && (typeof h.kid !== 'string' || !KID.test(h.kid))) {
      throw new TokenRejectedError('bad_header');
    }
    return h;
  }

  private async jwksKey(kid: unknown): Promise<KeyObject> {
    if (!this.jwks) throw new TokenRejectedError('unknown_key');
    const id = typeof kid === 'string' ? kid : '';
    const cached = this.jwksKeys.get(id);
    if (cached && cached.expires > Date.now()) return cached.key;
    try {
      const signingKey = await this.jwks.getSigningKey(id || undefined);
      const key = createPublicKey(signingKey.getPublicKey());
      if (this.jwksKeys.size > 50) this.jwksKeys.clear();
      // Expire with jwks-rsa's own cache, so a key removed from the JWKS stops verifying.
      this.jwksKeys.set(id, { key, expires: Date.now() + JWKS_CACHE_MS });
      return key;
    } catch {
      // Security: never hand a null key to the verifier (A15); the cause is not the client's.
      throw new TokenRejectedError('unknown_key');
    }
  }
}
