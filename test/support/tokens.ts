import { createHmac, createPrivateKey, generateKeyPairSync, KeyObject, sign } from 'node:crypto';

export type Claims = Record<string, unknown>;
export type Header = Record<string, unknown>;

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Mints tokens for tests from key material generated at run time; nothing is committed.
 * Hand-built (not jsonwebtoken) so tests can produce every malformed shape an attacker can.
 */
export class TokenFactory {
  readonly privateKey: KeyObject;
  readonly publicKeyPem: string;

  constructor(
    readonly issuer = 'https://issuer.test',
    readonly audience = 'leakproof-test',
  ) {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = pair.privateKey;
    this.publicKeyPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  /** The app environment that trusts this factory's key. */
  env(): Record<string, string> {
    return {
      JWT_PUBLIC_KEY: this.publicKeyPem,
      JWT_ISSUER: this.issuer,
      JWT_AUDIENCE: this.audience,
      JWT_ALGORITHMS: 'RS256',
    };
  }

  claims(overrides: Claims = {}): Claims {
    const now = Math.floor(Date.now() / 1000);
    return {
      iss: this.issuer,
      aud: this.audience,
      sub: 'alice',
      iat: now,
      exp: now + 600,
      scope: 'items:read items:write',
      ...overrides,
    };
  }

  /** A valid RS256 access token, with claim and header overrides (`undefined` removes one). */
  rs256(claims: Claims = {}, header: Header = {}): string {
    return TokenFactory.signRs(
      this.privateKey,
      { alg: 'RS256', typ: 'at+jwt', ...header },
      this.claims(claims),
    );
  }

  static signRs(key: KeyObject | string, header: Header, claims: Claims): string {
    const input = `${b64(TokenFactory.clean(header))}.${b64(TokenFactory.clean(claims))}`;
    const privateKey = typeof key === 'string' ? createPrivateKey(key) : key;
    return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
  }

  static signHs(secret: string | Buffer, header: Header, claims: Claims): string {
    const input = `${b64(TokenFactory.clean(header))}.${b64(TokenFactory.clean(claims))}`;
    return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
  }

  static unsigned(header: Header, claims: Claims): string {
    return `${b64(header)}.${b64(claims)}.`;
  }

  private static clean(o: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  }
}
