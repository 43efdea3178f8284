import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
} from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/** Where development key material is kept (outside production, with no key source set). */
export const devKeysEnv = {
  DEV_KEYS_DIR: z.string().min(1).default('.data/dev-keys'),
};

/**
 * Development key material, created on first start outside production when no key source is
 * configured: an RS256 signing key for the development issuer and an API-key pepper. It lives
 * in a git-ignored folder (default `.data/dev-keys`), with owner-only permissions, and is never
 * printed. RS256 because it is what most identity providers issue and it verifies faster than
 * ES256.
 */
export class DevKeyFiles {
  private constructor(
    readonly privateKeyPem: string,
    readonly kid: string,
    readonly pepper: string,
  ) {}

  static loadOrCreate(dir: string): DevKeyFiles {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const keyFile = join(dir, 'jwt-signing-key.pem');
    const pepperFile = join(dir, 'api-key-pepper');
    if (!existsSync(keyFile)) {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    }
    if (!existsSync(pepperFile)) {
      writeFileSync(pepperFile, randomBytes(32).toString('base64url'), { mode: 0o600 });
    }
    chmodSync(keyFile, 0o600);
    const privateKeyPem = readFileSync(keyFile, 'utf8');
    const pepper = readFileSync(pepperFile, 'utf8').trim();
    return new DevKeyFiles(privateKeyPem, DevKeyFiles.keyId(privateKeyPem), pepper);
  }

  /** RFC 7638 JWK thumbprint of the public key: a stable, non-secret key id. */
  private static keyId(privateKeyPem: string): string {
    const jwk = createPublicKey(createPrivateKey(privateKeyPem)).export({ format: 'jwk' });
    const canonical = JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n });
    return createHash('sha256').update(canonical).digest('base64url');
  }
}
