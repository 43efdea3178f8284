import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { Migrator } from 'kysely/migration';
import { AppConfig } from '../config/app-config';
import { Database } from '../database/database';
import { DatabaseFactory } from '../database/database.factory';
import { MigrationSet } from '../database/migration-set';
import { apiKeysMigrations } from './api-keys.migrations';
import { ApiKeyFormat } from './api-key-format';
import { ApiKeyHasher } from './api-key.hasher';
import { ApiKeyRepository } from './api-key.repository';
import { ApiKeyVerifier } from './api-key.verifier';
import { ApiKeysService } from './api-keys.service';
import { ApiKeyScopePolicy } from './api-key-scope.policy';
import { Base62 } from './base62';

const strong = (): string => randomBytes(32).toString('base64url');
/** The CRC is no secret: it stops typos and random guesses, not a deliberate forgery. */
const forge = (body: string): string => `${body}${Base62.encodeFixed(crc32(body), 6)}`;

/** One key store (verifier + service) over a shared database, configured by `env`. */
function store(db: Database, env: Record<string, string>) {
  const config = AppConfig.fromEnv({
    NODE_ENV: 'test',
    JWT_SECRET: strong(),
    DATABASE_URL: ':memory:',
    ...env,
  });
  const repository = new ApiKeyRepository(db);
  const hasher = new ApiKeyHasher(config, null);
  const verifier = new ApiKeyVerifier(repository, hasher, config);
  const service = new ApiKeysService(
    repository,
    hasher,
    verifier,
    config,
    new ApiKeyScopePolicy(['stock:write', 'a']),
  );
  return { config, repository, hasher, verifier, service };
}

describe('ApiKeyVerifier', () => {
  const pepper = strong();
  let db: Database;
  let s: ReturnType<typeof store>;

  beforeAll(async () => {
    // The audit events are covered over HTTP (test/api-keys.e2e-spec.ts); keep this output clean.
    Logger.overrideLogger(false);
    db = DatabaseFactory.create(
      AppConfig.fromEnv({
        NODE_ENV: 'test',
        JWT_SECRET: strong(),
        API_KEY_PEPPER: strong(),
        DATABASE_URL: ':memory:',
      }),
      () => undefined,
    );
    const { error } = await new Migrator({
      db,
      provider: new MigrationSet([apiKeysMigrations]),
    }).migrateToLatest();
    expect(error).toBeUndefined();
  });
  afterAll(() => db.destroy());
  beforeEach(() => {
    s = store(db, { API_KEY_PEPPER: pepper });
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });

  const create = (expiresIn?: number) =>
    s.service.create({ name: 'ci', scopes: ['stock:write'], expiresIn }, 'tester');

  it('when the key is valid, it returns the public id and scopes', async () => {
    const { key, id } = await create();
    const result = await s.verifier.verify(key);
    expect(result).toEqual({ ok: true, publicId: id, scopes: new Set(['stock:write']) });
  });

  it('when the checksum is wrong, it refuses before any hashing, cache or database lookup', async () => {
    const { key } = await create();
    const find = jest.spyOn(s.repository, 'find');
    const digest = jest.spyOn(s.hasher, 'digest');
    const forged = `${key.slice(0, 30)}${key[30] === 'a' ? 'b' : 'a'}${key.slice(31)}`;
    expect(await s.verifier.verify(forged)).toEqual({
      ok: false,
      reason: 'bad_checksum',
      publicId: null,
    });
    expect(await s.verifier.verify('lp_test_short')).toEqual({
      ok: false,
      reason: 'malformed',
      publicId: null,
    });
    expect(find).not.toHaveBeenCalled();
    expect(digest).not.toHaveBeenCalled();
  });

  it('when a live key reaches a test deployment, it refuses without a lookup', async () => {
    const { key } = ApiKeyFormat.generate('live');
    const find = jest.spyOn(s.repository, 'find');
    const result = await s.verifier.verify(key);
    expect(result).toMatchObject({ ok: false, reason: 'wrong_environment' });
    expect(find).not.toHaveBeenCalled();
  });

  it('when a well-formed key is unknown, the negative result is cached', async () => {
    const { key } = ApiKeyFormat.generate('test');
    const find = jest.spyOn(s.repository, 'find');
    expect(await s.verifier.verify(key)).toMatchObject({ ok: false, reason: 'unknown' });
    expect(await s.verifier.verify(key)).toMatchObject({ ok: false, reason: 'unknown' });
    expect(find).toHaveBeenCalledTimes(1);
  });

  it('when the public id exists but the secret differs, the reason is mismatch', async () => {
    const { id } = await create();
    const forged = forge(`lp_test_${id}_${Base62.random(32)}`);
    expect(await s.verifier.verify(forged)).toEqual({
      ok: false,
      reason: 'mismatch',
      publicId: id,
    });
  });

  it('when a valid key is verified again, the cache answers and the database is not asked', async () => {
    const { key } = await create();
    const find = jest.spyOn(s.repository, 'find');
    for (let i = 0; i < 5; i++) expect((await s.verifier.verify(key)).ok).toBe(true);
    expect(find).toHaveBeenCalledTimes(1);
  });

  it('when a key is invalidated by public id, the next verification reads the database again', async () => {
    const { key, id } = await create();
    await s.verifier.verify(key);
    await s.repository.revoke(id, new Date().toISOString());
    expect((await s.verifier.verify(key)).ok).toBe(true);
    s.verifier.invalidateByPublicId(id);
    expect(await s.verifier.verify(key)).toMatchObject({ ok: false, reason: 'revoked' });
  });

  it('when the whole cache is invalidated, every key is read from the database again', async () => {
    const a = await create();
    const b = await create();
    await s.verifier.verify(a.key);
    await s.verifier.verify(b.key);
    const find = jest.spyOn(s.repository, 'find');
    s.verifier.invalidateAll();
    await s.verifier.verify(a.key);
    await s.verifier.verify(b.key);
    expect(find).toHaveBeenCalledTimes(2);
  });

  it('when an invalidation lands while a lookup is in flight, the stale result is not cached', async () => {
    const { key, id } = await create();
    const find = jest.spyOn(s.repository, 'find');
    const real = ApiKeyRepository.prototype.find.bind(s.repository);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    find.mockImplementationOnce(async (publicId) => {
      const row = await real(publicId);
      await gate;
      return row;
    });
    const pending = s.verifier.verify(key);
    await s.repository.revoke(id, new Date().toISOString());
    s.verifier.invalidateByPublicId(id);
    release();
    expect((await pending).ok).toBe(true);
    expect(await s.verifier.verify(key)).toMatchObject({ ok: false, reason: 'revoked' });
  });

  it('when a cached key reaches its expiry, the cache hit still refuses it', async () => {
    const { key } = await create(3600);
    expect((await s.verifier.verify(key)).ok).toBe(true);
    const find = jest.spyOn(s.repository, 'find');
    jest.spyOn(Date, 'now').mockReturnValue(new Date().getTime() + 3601_000);
    expect(await s.verifier.verify(key)).toMatchObject({ ok: false, reason: 'expired' });
    expect(find).not.toHaveBeenCalled();
  });

  it('when keys are used, last_used_at is written by the batch flush, not per request', async () => {
    const { key, id } = await create();
    for (let i = 0; i < 3; i++) await s.verifier.verify(key);
    expect((await s.repository.find(id))?.last_used_at).toBeNull();
    await s.verifier.flushLastUse();
    const used = (await s.repository.find(id))?.last_used_at;
    expect(typeof used).toBe('string');
    expect(Date.parse(used ?? '')).toBeGreaterThan(Date.now() - 60_000);
  });

  it('when the pepper rotates, old keys verify with the previous pepper and are re-hashed with the new one', async () => {
    const { key: oldKey, id: oldId } = await create();
    const oldRow = await s.repository.find(oldId);
    const newPepper = strong();
    const rotated = store(db, { API_KEY_PEPPER: newPepper, API_KEY_PEPPER_PREVIOUS: pepper });
    expect(rotated.hasher.current.id).not.toBe(s.hasher.current.id);

    const { id: newId } = await rotated.service.create({ name: 'new', scopes: ['a'] }, 'tester');
    expect((await rotated.repository.find(newId))?.pepper_id).toBe(rotated.hasher.current.id);

    expect((await rotated.verifier.verify(oldKey)).ok).toBe(true);
    const rehashed = await rotated.repository.find(oldId);
    expect(rehashed?.pepper_id).toBe(rotated.hasher.current.id);
    expect(rehashed?.digest).not.toBe(oldRow?.digest);

    // Once re-hashed, the old key works even after the previous pepper is dropped.
    const retired = store(db, { API_KEY_PEPPER: newPepper });
    expect((await retired.verifier.verify(oldKey)).ok).toBe(true);
  });

  it('when a row names a pepper that is no longer configured, the key is refused', async () => {
    const { key } = await create();
    const other = store(db, { API_KEY_PEPPER: strong() });
    expect(await other.verifier.verify(key)).toMatchObject({ ok: false, reason: 'unknown_pepper' });
  });

  it('when an unknown id is presented, it does the same constant-time comparison as a known one', async () => {
    const { id } = await create();
    const equal = jest.spyOn(ApiKeyHasher, 'equal');
    await s.verifier.verify(ApiKeyFormat.generate('test').key);
    expect(equal).toHaveBeenCalledTimes(1);
    await s.verifier.verify(forge(`lp_test_${id}_${Base62.random(32)}`));
    expect(equal).toHaveBeenCalledTimes(2);
  });

  it('when a key expires, it is refused from exactly its expiry instant, on a miss and on a cache hit', async () => {
    const { key, id } = await create(3600);
    const expiresAt = Date.parse((await s.repository.find(id))?.expires_at ?? '');
    const now = jest.spyOn(Date, 'now').mockReturnValue(expiresAt - 1);
    expect((await s.verifier.verify(key)).ok).toBe(true);
    now.mockReturnValue(expiresAt);
    expect(await s.verifier.verify(key)).toEqual({ ok: false, reason: 'expired', publicId: id });
    s.verifier.invalidateAll();
    expect(await s.verifier.verify(key)).toEqual({ ok: false, reason: 'expired', publicId: id });
    s.verifier.invalidateAll();
    now.mockReturnValue(expiresAt - 1);
    expect((await s.verifier.verify(key)).ok).toBe(true);
  });

  it('when a key hashed with a retired pepper has expired, it is refused and its row is not re-hashed', async () => {
    const { key, id } = await create(3600);
    const expiresAt = Date.parse((await s.repository.find(id))?.expires_at ?? '');
    const rotated = store(db, { API_KEY_PEPPER: strong(), API_KEY_PEPPER_PREVIOUS: pepper });
    const update = jest.spyOn(rotated.repository, 'updateDigest');
    jest.spyOn(Date, 'now').mockReturnValue(expiresAt);
    expect(await rotated.verifier.verify(key)).toEqual({
      ok: false,
      reason: 'expired',
      publicId: id,
    });
    expect(update).not.toHaveBeenCalled();
  });

  it('when a key is revoked, it is refused with the revoked reason', async () => {
    const { key, id } = await create();
    await s.repository.revoke(id, new Date().toISOString());
    expect(await s.verifier.verify(key)).toEqual({ ok: false, reason: 'revoked', publicId: id });
  });

  it('when a result has been cached for the TTL, it is still served; one millisecond later the database is asked', async () => {
    // lru-cache ages entries by performance.now(), and holds its own last reading for 1 ms.
    // A whole-millisecond start: with a fractional one, (t0 + 10000) - t0 can round above 10000.
    const t0 = Math.ceil(performance.now());
    const clock = jest.spyOn(performance, 'now').mockReturnValue(t0);
    const settle = () => new Promise((resolve) => setTimeout(resolve, 5));
    const { key } = await create();
    expect((await s.verifier.verify(key)).ok).toBe(true);
    const find = jest.spyOn(s.repository, 'find');
    clock.mockReturnValue(t0 + 10_000);
    await settle();
    expect((await s.verifier.verify(key)).ok).toBe(true);
    expect(find).not.toHaveBeenCalled();
    clock.mockReturnValue(t0 + 10_001);
    await settle();
    expect((await s.verifier.verify(key)).ok).toBe(true);
    expect(find).toHaveBeenCalledTimes(1);
  });

  it('when one key is invalidated, the other keys stay cached', async () => {
    const a = await create();
    const b = await create();
    await s.verifier.verify(a.key);
    await s.verifier.verify(b.key);
    const find = jest.spyOn(s.repository, 'find');
    s.verifier.invalidateByPublicId(a.id);
    await s.verifier.verify(a.key);
    await s.verifier.verify(b.key);
    expect(find.mock.calls).toEqual([[a.id]]);
  });

  it('when both kinds of invalidation land while a lookup is in flight, the stale result is not cached', async () => {
    const { key, id } = await create();
    const find = jest.spyOn(s.repository, 'find');
    const real = ApiKeyRepository.prototype.find.bind(s.repository);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    find.mockImplementationOnce(async (publicId) => {
      const row = await real(publicId);
      await gate;
      return row;
    });
    const pending = s.verifier.verify(key);
    await s.repository.revoke(id, new Date().toISOString());
    s.verifier.invalidateByPublicId(id);
    s.verifier.invalidateAll();
    release();
    expect((await pending).ok).toBe(true);
    expect(await s.verifier.verify(key)).toMatchObject({ ok: false, reason: 'revoked' });
  });

  it('when a key verifies with the current pepper, its row is not rewritten', async () => {
    const { key } = await create();
    const update = jest.spyOn(s.repository, 'updateDigest');
    expect((await s.verifier.verify(key)).ok).toBe(true);
    expect(update).not.toHaveBeenCalled();
  });

  it('when re-hashing with the current pepper fails, the key still verifies and the failure is logged by class name', async () => {
    const { key, id } = await create();
    const rotated = store(db, { API_KEY_PEPPER: strong(), API_KEY_PEPPER_PREVIOUS: pepper });
    jest
      .spyOn(rotated.repository, 'updateDigest')
      .mockRejectedValueOnce(new RangeError('db'))
      .mockRejectedValueOnce('not an error');
    const warn = jest.spyOn(Logger.prototype, 'warn');
    expect((await rotated.verifier.verify(key)).ok).toBe(true);
    expect(warn).toHaveBeenCalledWith({
      event: 'api_key_repepper_failed',
      keyId: id,
      error: 'RangeError',
    });
    const second = await create();
    rotated.verifier.invalidateAll();
    expect((await rotated.verifier.verify(second.key)).ok).toBe(true);
    expect(warn).toHaveBeenLastCalledWith({
      event: 'api_key_repepper_failed',
      keyId: second.id,
      error: 'unknown',
    });
  });

  it('when the last-use flush fails, it logs the error class only and the next flush starts empty', async () => {
    const { key, id } = await create();
    await s.verifier.verify(key);
    const record = jest.spyOn(s.repository, 'recordLastUse');
    record.mockRejectedValueOnce(new TypeError('db down')).mockRejectedValueOnce('not an error');
    const warn = jest.spyOn(Logger.prototype, 'warn');
    await s.verifier.flushLastUse();
    expect(record.mock.calls[0]?.[0]).toEqual(
      new Map([[id, expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as string]]),
    );
    expect(warn).toHaveBeenLastCalledWith({
      event: 'api_key_last_use_flush_failed',
      error: 'TypeError',
    });
    await s.verifier.flushLastUse();
    expect(record.mock.calls[1]?.[0]).toEqual(new Map());
    expect(warn).toHaveBeenLastCalledWith({
      event: 'api_key_last_use_flush_failed',
      error: 'unknown',
    });
  });

  it('when the app runs, last use is flushed every 30 s on a timer that keeps no process alive, and once more at shutdown', async () => {
    jest.useFakeTimers({ now: Date.now() });
    const interval = jest.spyOn(global, 'setInterval');
    try {
      const { key } = await create();
      const record = jest.spyOn(s.repository, 'recordLastUse');
      s.verifier.onApplicationBootstrap();
      expect((interval.mock.results[0]?.value as NodeJS.Timeout).hasRef()).toBe(false);
      await s.verifier.verify(key);
      jest.advanceTimersByTime(29_999);
      expect(record).not.toHaveBeenCalled();
      jest.advanceTimersByTime(1);
      expect(record).toHaveBeenCalledTimes(1);
      await s.verifier.beforeApplicationShutdown();
      expect(record).toHaveBeenCalledTimes(2);
      jest.advanceTimersByTime(60_000);
      expect(record).toHaveBeenCalledTimes(2);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('ApiKeyHasher', () => {
  it('when digests differ in length, equal is false and does not throw (K5)', () => {
    expect(ApiKeyHasher.equal(Buffer.alloc(32), Buffer.alloc(31))).toBe(false);
    expect(ApiKeyHasher.equal(Buffer.alloc(32, 1), Buffer.alloc(32, 1))).toBe(true);
    expect(ApiKeyHasher.equal(Buffer.alloc(32, 1), Buffer.alloc(32, 2))).toBe(false);
  });

  it('when peppers are configured, their ids are stable and distinct; previous peppers are redacted secrets', () => {
    const current = strong();
    const previous = [strong(), strong()];
    const env = {
      NODE_ENV: 'test',
      JWT_SECRET: strong(),
      API_KEY_PEPPER: current,
      API_KEY_PEPPER_PREVIOUS: previous.join(','),
    };
    const a = new ApiKeyHasher(AppConfig.fromEnv(env), null);
    const b = new ApiKeyHasher(AppConfig.fromEnv(env), null);
    expect(a.current.id).toBe(b.current.id);
    expect(a.current.id).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(a.current.id).not.toBe(
      new ApiKeyHasher(AppConfig.fromEnv({ ...env, API_KEY_PEPPER: previous[0] }), null).current.id,
    );
    const secrets = AppConfig.fromEnv(env)
      .secrets()
      .map((x) => x.reveal());
    for (const p of previous) expect(secrets).toContain(p);
  });
});
