import { createSign, createVerify, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppConfig } from '../config/app-config';
import { Redactor } from '../security/redactor';
import { DevKeyMaterial } from './dev-key-material';

describe('DevKeyMaterial', () => {
  let root: string;
  let dir: string;
  let config: AppConfig;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'lp-dev-keys-'));
    dir = join(root, 'keys');
    config = AppConfig.fromEnv({ NODE_ENV: 'development', DEV_KEYS_DIR: dir });
  });

  /** The provider's material for `config`, which asks for it. */
  function load(): DevKeyMaterial {
    const keys = DevKeyMaterial.forConfig(config);
    if (!keys) throw new Error('expected development key material');
    return keys;
  }

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('when the configuration uses the development issuer, the provider creates owner-only key files', () => {
    expect(DevKeyMaterial.existing(config)).toBeNull();
    const keys = load();
    for (const file of ['jwt-signing-key.pem', 'api-key-pepper']) {
      expect(statSync(join(dir, file)).mode & 0o777).toBe(0o600);
    }
    expect(readFileSync(join(dir, 'jwt-signing-key.pem'), 'utf8')).toBe(
      keys.signingKeyPem.reveal(),
    );
    expect(readFileSync(join(dir, 'api-key-pepper'), 'utf8')).toBe(keys.pepper.reveal());
    const signature = createSign('SHA256').update('x').sign(keys.signingKey);
    expect(createVerify('SHA256').update('x').verify(keys.publicKey, signature)).toBe(true);
  });

  it('when the files exist, the same material is loaded again, with the same key id', () => {
    const first = load();
    const again = load();
    const existing = DevKeyMaterial.existing(config);
    for (const other of [again, existing]) {
      expect(other?.kid).toBe(first.kid);
      expect(other?.pepper.reveal()).toBe(first.pepper.reveal());
    }
    expect(first.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('when a key source and a pepper are configured, there is no material and nothing is written', () => {
    const configured = AppConfig.fromEnv({
      NODE_ENV: 'development',
      DEV_KEYS_DIR: dir,
      JWT_SECRET: randomBytes(32).toString('base64url'),
      API_KEY_PEPPER: randomBytes(32).toString('base64url'),
    });
    expect(DevKeyMaterial.forConfig(configured)).toBeNull();
    expect(() => statSync(dir)).toThrow();
  });

  it('when the redaction core is given the material, the signing key and the pepper are masked', () => {
    const keys = load();
    const redactor = new Redactor(config, keys);
    const pepper = keys.pepper.reveal();
    expect(redactor.redactServerText(`pepper=${pepper}`)).toBe('pepper=[REDACTED]');
    expect(redactor.containsConfiguredSecret(keys.signingKeyPem.reveal())).toBe(true);
  });
});
