import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  KeyObject,
  randomBytes,
} from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { AppConfig } from '../config/app-config';
import { Secret } from '../config/secret';

/** Where development key material is kept (outside production, with no key source set). */
export const devKeysEnv = {
  DEV_KEYS_DIR: z.string().min(1).default('.data/dev-keys'),
};

const KEY_FILE = 'jwt-signing-key.pem';
const PEPPER_FILE = 'api-key-pepper';

/**
 * Development key material: an RS256 signing key for the development issuer and an API-key
 * pepper, used outside production when no key source or no pepper is configured. Parsing the
 * configuration only decides that it is needed (AppConfig.devKeys); this provider, created
 * with the app, loads the files or creates them on first start. They live in a git-ignored
 * folder (default `.data/dev-keys`), with owner-only permissions, and are never printed.
 * RS256 because it is what most identity providers issue and it verifies faster than ES256.
 */
export class DevKeyMaterial {
  private constructor(
    readonly signingKey: KeyObject,
    readonly publicKey: KeyObject,
    /** RFC 7638 JWK thumbprint of the public key: a stable, non-secret key id. */
    readonly kid: string,
    readonly signingKeyPem: Secret,
    readonly pepper: Secret,
  ) {}

  /** The material the configuration asks for, loaded or created; null when it asks for none. */
  static forConfig(config: AppConfig): DevKeyMaterial | null {
    return config.devKeys ? DevKeyMaterial.loadOrCreate(config.devKeys.dir) : null;
  }

  /**
   * The material already on disk, never creating it: for the start-up failure message, which
   * masks these values even when the app failed before its provider was built.
   */
  static existing(config: AppConfig): DevKeyMaterial | null {
    const dir = config.devKeys?.dir;
    if (!dir || !existsSync(join(dir, KEY_FILE)) || !existsSync(join(dir, PEPPER_FILE))) {
      return null;
    }
    try {
      return DevKeyMaterial.read(dir);
    } catch {
      // Unreadable files were never loaded by this process, so none of their values can leak.
      return null;
    }
  }

  static loadOrCreate(dir: string): DevKeyMaterial {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const keyFile = join(dir, KEY_FILE);
    const pepperFile = join(dir, PEPPER_FILE);
    if (!existsSync(keyFile)) {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    }
    if (!existsSync(pepperFile)) {
      writeFileSync(pepperFile, randomBytes(32).toString('base64url'), { mode: 0o600 });
    }
    chmodSync(keyFile, 0o600);
    return DevKeyMaterial.read(dir);
  }

  /** The values the redaction core masks exactly: the signing key PEM and the pepper. */
  secrets(): readonly Secret[] {
    return [this.signingKeyPem, this.pepper];
  }

  private static read(dir: string): DevKeyMaterial {
    const privateKeyPem = readFileSync(join(dir, KEY_FILE), 'utf8');
    const pepper = readFileSync(join(dir, PEPPER_FILE), 'utf8').trim();
    const signingKey = createPrivateKey(privateKeyPem);
    const publicKey = createPublicKey(signingKey);
    const jwk = publicKey.export({ format: 'jwk' });
    const canonical = JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n });
    const kid = createHash('sha256').update(canonical).digest('base64url');
    return new DevKeyMaterial(
      signingKey,
      publicKey,
      kid,
      new Secret(privateKeyPem),
      new Secret(pepper),
    );
  }
}
