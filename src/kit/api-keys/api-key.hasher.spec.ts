import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DevKeyMaterial } from '../auth/dev-key-material';
import { AppConfig } from '../config/app-config';
import { ApiKeyFormat } from './api-key-format';
import { ApiKeyHasher } from './api-key.hasher';

const strong = (): string => randomBytes(32).toString('base64url');
const config = (env: Record<string, string>): AppConfig =>
  AppConfig.fromEnv({ NODE_ENV: 'test', JWT_SECRET: strong(), ...env });
/** The documented derivation: HMAC-SHA-256(pepper, key), and the id from a fixed label. */
const hmac = (pepper: string, message: string): Buffer =>
  createHmac('sha256', Buffer.from(pepper, 'utf8')).update(message, 'utf8').digest();
const idOf = (pepper: string): string =>
  hmac(pepper, 'leakproof:api-key-pepper-id:v1').subarray(0, 12).toString('base64url');

describe('ApiKeyHasher', () => {
  let devDir: string;
  let devKeys: DevKeyMaterial;

  beforeAll(() => {
    devDir = mkdtempSync(join(tmpdir(), 'lp-hasher-'));
    devKeys = DevKeyMaterial.loadOrCreate(devDir);
  });
  afterAll(() => {
    rmSync(devDir, { recursive: true, force: true });
  });

  it('when a key is hashed, the digest is HMAC-SHA-256 of the whole key under the current pepper', () => {
    const pepper = strong();
    const hasher = new ApiKeyHasher(config({ API_KEY_PEPPER: pepper }), null);
    const { key } = ApiKeyFormat.generate('test');
    expect(hasher.current.id).toBe(idOf(pepper));
    expect(hasher.digest(key)).toEqual(hmac(pepper, key));
    expect(hasher.digest(key, hasher.current.id)).toEqual(hmac(pepper, key));
    // Non-ASCII input is hashed as UTF-8, the same bytes the CLI and every instance hash.
    expect(hasher.digest('lp_é_ключ')).toEqual(hmac(pepper, 'lp_é_ключ'));
  });

  it('when previous peppers are configured, each digests under its own id and an unknown id gives null', () => {
    const [current, older, oldest] = [strong(), strong(), strong()];
    const hasher = new ApiKeyHasher(
      config({ API_KEY_PEPPER: current, API_KEY_PEPPER_PREVIOUS: `${older},${oldest}` }),
      null,
    );
    const { key } = ApiKeyFormat.generate('test');
    expect(hasher.digest(key, idOf(older))).toEqual(hmac(older, key));
    expect(hasher.digest(key, idOf(oldest))).toEqual(hmac(oldest, key));
    expect(hasher.digest(key)).toEqual(hmac(current, key));
    expect(hasher.digest(key, idOf(strong()))).toBeNull();
    expect(hasher.digest(key, '')).toBeNull();
  });

  it('when the current pepper is also listed as previous, the current one is kept', () => {
    const pepper = strong();
    const hasher = new ApiKeyHasher(
      config({ API_KEY_PEPPER: pepper, API_KEY_PEPPER_PREVIOUS: pepper }),
      null,
    );
    const { key } = ApiKeyFormat.generate('test');
    expect(hasher.digest(key, hasher.current.id)).toEqual(hmac(pepper, key));
  });

  it('when API_KEY_PEPPER is unset, the development pepper is used; when set, it wins over it', () => {
    const { key } = ApiKeyFormat.generate('test');
    const dev = new ApiKeyHasher(config({}), devKeys);
    expect(dev.current.id).toBe(idOf(devKeys.pepper.reveal()));
    expect(dev.digest(key)).toEqual(hmac(devKeys.pepper.reveal(), key));

    const pepper = strong();
    const configured = new ApiKeyHasher(config({ API_KEY_PEPPER: pepper }), devKeys);
    expect(configured.current.id).toBe(idOf(pepper));
    expect(configured.digest(key)).toEqual(hmac(pepper, key));
  });

  it('when no pepper is configured and no development material is loaded, construction fails naming the cause', () => {
    expect(() => new ApiKeyHasher(config({}), null)).toThrow(
      new Error('API_KEY_PEPPER is unset and no development key material is loaded'),
    );
  });

  it('when two digests are compared, equal is true only for the same bytes and never throws on a length mismatch', () => {
    const a = randomBytes(32);
    expect(ApiKeyHasher.equal(a, Buffer.from(a))).toBe(true);
    expect(ApiKeyHasher.equal(a, Buffer.alloc(32))).toBe(false);
    const last = Buffer.from(a);
    last[31] ^= 1;
    expect(ApiKeyHasher.equal(a, last)).toBe(false);
    expect(ApiKeyHasher.equal(a, a.subarray(0, 31))).toBe(false);
    expect(ApiKeyHasher.equal(a.subarray(0, 31), a)).toBe(false);
    expect(ApiKeyHasher.equal(Buffer.alloc(0), Buffer.alloc(0))).toBe(true);
  });
});
