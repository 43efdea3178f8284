import { Logger } from '@nestjs/common';
import { Migrator } from 'kysely/migration';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiKeyHasher } from '../src/kit/api-keys/api-key.hasher';
import { ApiKeyRepository } from '../src/kit/api-keys/api-key.repository';
import { ApiKeyVerifier } from '../src/kit/api-keys/api-key.verifier';
import { apiKeysMigrations } from '../src/kit/api-keys/api-keys.migrations';
import type { ApiKeyTables } from '../src/kit/api-keys/api-keys.table';
import { ApiKeysService } from '../src/kit/api-keys/api-keys.service';
import { ApiKeyScopePolicy } from '../src/kit/api-keys/api-key-scope.policy';
import { AppConfig } from '../src/kit/config/app-config';
import { Database } from '../src/kit/database/database';
import { DatabaseFactory } from '../src/kit/database/database.factory';
import { MigrationSet } from '../src/kit/database/migration-set';
import { ifStarted } from './support/cleanup';
import { ThrowawayDatabase } from './support/test-app';
import { describeWith } from './support/integration-services';

const strong = (): string => randomBytes(32).toString('base64url');

interface Backend {
  url: string;
  /** Every byte the database keeps on disk, when we can read it (SQLite). */
  files(): string[];
  cleanup(): Promise<void>;
}

const backends: [string, () => Promise<Backend>][] = [
  [
    'SQLite (node:sqlite file)',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'lp-keys-'));
      return Promise.resolve({
        url: join(dir, 'store.sqlite'),
        files: () => readdirSync(dir).map((f) => join(dir, f)),
        cleanup: () => {
          rmSync(dir, { recursive: true, force: true });
          return Promise.resolve();
        },
      });
    },
  ],
];
/** PostgreSQL: a throwaway database on the integration run's server (TEST_DATABASE_URL). */
async function postgres(): Promise<Backend> {
  const db = await ThrowawayDatabase.create(process.env.TEST_DATABASE_URL ?? '');
  return { url: db.url, files: () => [], cleanup: () => db.drop() };
}

/**
 * The key store on each database: no plaintext key is ever written (docs/threat-model.md,
 * promise P6), and rotating the pepper keeps old keys working while new keys use the new pepper.
 */
function storageSuite(open: () => Promise<Backend>): void {
  let backend: Backend;
  let db: Database;

  function keyStore(env: Record<string, string>) {
    const config = AppConfig.fromEnv({
      NODE_ENV: 'test',
      JWT_SECRET: strong(),
      DATABASE_URL: backend.url,
      ...env,
    });
    const repository = new ApiKeyRepository(db);
    const hasher = new ApiKeyHasher(config, null);
    const verifier = new ApiKeyVerifier(repository, hasher, config);
    return {
      hasher,
      verifier,
      service: new ApiKeysService(
        repository,
        hasher,
        verifier,
        config,
        new ApiKeyScopePolicy(['widgets:stock', 'a']),
      ),
    };
  }

  beforeAll(async () => {
    Logger.overrideLogger(false);
    backend = await open();
    db = DatabaseFactory.create(
      AppConfig.fromEnv({
        NODE_ENV: 'test',
        JWT_SECRET: strong(),
        API_KEY_PEPPER: strong(),
        DATABASE_URL: backend.url,
      }),
      () => undefined,
    );
    const { error } = await new Migrator({
      db,
      provider: new MigrationSet([apiKeysMigrations]),
    }).migrateToLatest();
    expect(error).toBeUndefined();
  });
  afterAll(async () => {
    await ifStarted(db, (d) => d.destroy());
    await ifStarted(backend, (b) => b.cleanup());
  });

  it('when keys are created, rotated and revoked, neither the rows nor the database files hold a key or its secret', async () => {
    const { service } = keyStore({ API_KEY_PEPPER: strong() });
    const minted: { id: string; key: string }[] = [];
    for (let i = 0; i < 3; i++) {
      minted.push(await service.create({ name: `k${i}`, scopes: ['widgets:stock'] }, 'tester'));
    }
    minted.push(await service.rotate(minted[0].id, {}, 'tester'));
    await service.revoke(minted[1].id, 'tester');

    const rows = await db
      .$extendTables<ApiKeyTables>()
      .selectFrom('api_keys')
      .selectAll()
      .execute();
    const dump = JSON.stringify(rows);
    for (const { id, key } of minted) {
      // The public id is stored: the search does find what is there.
      expect(dump).toContain(id);
      for (const needle of [key, key.slice(21, 53), key.slice(21, 37)]) {
        expect(dump.includes(needle)).toBe(false);
      }
    }
    for (const row of rows) {
      expect(row.digest).toMatch(/^[0-9a-f]{64}$/);
      expect(Object.keys(row)).not.toContain('key');
    }

    await db.destroy();
    const bytes = backend.files().map((file) => readFileSync(file).toString('latin1'));
    if (bytes.length > 0) {
      const all = bytes.join('\n');
      expect(all).toContain(minted[0].id);
      for (const { key } of minted) {
        expect(all.includes(key)).toBe(false);
        expect(all.includes(key.slice(21, 53))).toBe(false);
      }
    }
    db = DatabaseFactory.create(
      AppConfig.fromEnv({
        NODE_ENV: 'test',
        JWT_SECRET: strong(),
        API_KEY_PEPPER: strong(),
        DATABASE_URL: backend.url,
      }),
      () => undefined,
    );
  });

  it('when the pepper rotates, old keys keep working and new keys use the new pepper', async () => {
    const oldPepper = strong();
    const newPepper = strong();
    const before = keyStore({ API_KEY_PEPPER: oldPepper });
    const old = await before.service.create({ name: 'old', scopes: ['a'] }, 'tester');

    const after = keyStore({ API_KEY_PEPPER: newPepper, API_KEY_PEPPER_PREVIOUS: oldPepper });
    const fresh = await after.service.create({ name: 'new', scopes: ['a'] }, 'tester');
    const pepperOf = async (id: string) =>
      (
        await db
          .$extendTables<ApiKeyTables>()
          .selectFrom('api_keys')
          .select('pepper_id')
          .where('public_id', '=', id)
          .executeTakeFirstOrThrow()
      ).pepper_id;
    expect(await pepperOf(old.id)).toBe(before.hasher.current.id);
    expect(await pepperOf(fresh.id)).toBe(after.hasher.current.id);

    expect((await after.verifier.verify(old.key)).ok).toBe(true);
    expect((await after.verifier.verify(fresh.key)).ok).toBe(true);
    // The old pepper alone no longer verifies a key minted under the new one.
    expect((await before.verifier.verify(fresh.key)).ok).toBe(false);
  });
}

describe.each(backends)('ApiKeysService storage on %s', (_name, open) => {
  storageSuite(open);
});
describeWith('TEST_DATABASE_URL', 'ApiKeysService storage on PostgreSQL', () => {
  storageSuite(postgres);
});
