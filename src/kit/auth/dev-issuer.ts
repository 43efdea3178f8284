import { JwtService } from '@nestjs/jwt';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import type { DevKeyMaterial } from './dev-key-material';

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

  private readonly keys: DevKeyMaterial;

  constructor(
    private readonly config: AppConfig,
    keys: DevKeyMaterial | null,
  ) {
    if (config.jwt.keySource.kind !== 'dev-issuer' || config.isProduction || !keys) {
      throw new Error('The development issuer runs only outside production with no key source set');
    }
    this.keys = keys;
    this.jwt = new JwtService({ privateKey: keys.signingKey });
  }

  /** The public key as an RFC 7517 JWK Set, as an identity provider would publish it. */
  jwks(): { keys: Record<string, unknown>[] } {
    const jwk = this.keys.publicKey.export({ format: 'jwk' });
    return {
      keys: [{ kty: jwk.kty, n: jwk.n, e: jwk.e, kid: this.keys.kid, alg: 'RS256', use: 'sig' }],
    };
  }

  mint(options: MintOptions): string {
    const ttl = Math.min(options.ttlSeconds ?? 900, this.config.jwt.maxLifetimeSeconds);
    return this.jwt.sign(
      { scope: options.scopes.join(' '), client_id: 'leakproof-dev', jti: randomUUID() },
      {
        algorithm: 'RS256',
        keyid: this.keys.kid,
        header: { alg: 'RS256', typ: 'at+jwt' },
        issuer: this.config.jwt.issuer,
        audience: this.config.jwt.audience,
        subject: options.subject,
        expiresIn: ttl,
      },
    );
  }
}
