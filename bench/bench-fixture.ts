import { generateKeyPairSync, KeyObject, randomBytes, createSecretKey } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sign, type Algorithm } from 'jsonwebtoken';

export type JwtVariant = 'rs256' | 'es256' | 'hs256';

const ISSUER = 'https://issuer.bench.invalid';
const AUDIENCE = 'leakproof-bench';

/**
 * Every key, token and file the benchmark needs, made at run time and thrown away at the end:
 * nothing secret is committed, not even a benchmark key (house rule).
 */
export class BenchFixture {
  readonly dir: string;
  readonly issuer = ISSUER;
  readonly audience = AUDIENCE;
  readonly pepper = randomBytes(32).toString('base64url');
  readonly hsSecret = randomBytes(32).toString('base64url');
  private readonly rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  private readonly ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  /** Signs the forged tokens: right shape, right claims, wrong key. */
  private readonly attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'leakproof-bench-'));
  }

  get rsaPublicPem(): string {
    return this.rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  /** The environment of `dist/main.js` as production would run it, with one JWT key source. */
  leakproofEnv(variant: JwtVariant, port: number, instance = 'leakproof'): Record<string, string> {
    const env: Record<string, string> = {
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: AUDIENCE,
      API_KEY_PEPPER: this.pepper,
      DATABASE_URL: join(this.dir, `${instance}-${variant}.sqlite`),
      LOG_LEVEL: 'info',
      // The limiter runs on every request as shipped, with a ceiling no benchmark reaches.
      RATE_LIMIT_MAX: '1000000',
      RATE_LIMIT_WINDOW_SECONDS: '1',
    };
    if (variant === 'rs256') {
      env.JWT_PUBLIC_KEY = this.rsaPublicPem;
      env.JWT_ALGORITHMS = 'RS256';
    } else if (variant === 'es256') {
      env.JWT_PUBLIC_KEY = this.ec.publicKey.export({ type: 'spki', format: 'pem' }).toString();
      env.JWT_ALGORITHMS = 'ES256';
    } else {
      env.JWT_SECRET = this.hsSecret;
      env.JWT_ALGORITHMS = 'HS256';
    }
    return env;
  }

  /** A valid RFC 9068 access token for the variant's key, good for an hour. */
  token(variant: JwtVariant, scope = 'items:read'): string {
    return BenchFixture.mint(this.signingKey(variant), BenchFixture.algorithm(variant), scope);
  }

  /** An RS256 token with valid claims signed by a key the server does not trust. */
  forgedToken(): string {
    return BenchFixture.mint(this.attacker.privateKey, 'RS256', 'items:read');
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private signingKey(variant: JwtVariant): KeyObject {
    if (variant === 'rs256') return this.rsa.privateKey;
    if (variant === 'es256') return this.ec.privateKey;
    return createSecretKey(Buffer.from(this.hsSecret));
  }

  private static algorithm(variant: JwtVariant): Algorithm {
    return variant === 'rs256' ? 'RS256' : variant === 'es256' ? 'ES256' : 'HS256';
  }

  private static mint(key: KeyObject, algorithm: Algorithm, scope: string): string {
    return sign({ scope, client_id: 'bench' }, key, {
      algorithm,
      header: { alg: algorithm, typ: 'at+jwt' },
      issuer: ISSUER,
      audience: AUDIENCE,
      subject: 'bench-user',
      expiresIn: 3600,
    });
  }
}
