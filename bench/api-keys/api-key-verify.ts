import { Logger } from '@nestjs/common';
import { Migrator } from 'kysely/migration';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiKeyFormat } from '../../src/kit/api-keys/api-key-format';
import { ApiKeyHasher } from '../../src/kit/api-keys/api-key.hasher';
import { ApiKeyRepository } from '../../src/kit/api-keys/api-key.repository';
import { ApiKeyVerifier } from '../../src/kit/api-keys/api-key.verifier';
import { apiKeysMigrations } from '../../src/kit/api-keys/api-keys.migrations';
import { ApiKeysService } from '../../src/kit/api-keys/api-keys.service';
import { ApiKeyScopePolicy } from '../../src/kit/api-keys/api-key-scope.policy';
import { AppConfig } from '../../src/kit/config/app-config';
import { DatabaseFactory } from '../../src/kit/database/database.factory';
import { MigrationSet } from '../../src/kit/database/migration-set';

/**
 * Micro-benchmark of API-key verification (ApiKeyVerifier.verify), path by path:
 *
 *   node --import ./scripts/swc-register.mts bench/api-keys/api-key-verify.ts
 *
 * DATABASE_URL picks the store (default: a temporary SQLite file; a postgres:// URL works).
 * ITERATIONS sets the samples per path. Numbers only; nothing here is asserted.
 */
const ITERATIONS = Number(process.env.ITERATIONS ?? 20_000);

interface Row {
  path: string;
  p50: number;
  p99: number;
  mean: number;
  opsPerSecond: number;
}

async function measure(path: string, n: number, op: (i: number) => Promise<unknown>): Promise<Row> {
  for (let i = 0; i < Math.min(1000, n); i++) await op(i);
  const samples = new Float64Array(n);
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await op(i);
    samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  const totalUs = Number(process.hrtime.bigint() - start) / 1000;
  samples.sort();
  return {
    path,
    p50: samples[Math.floor(n * 0.5)],
    p99: samples[Math.floor(n * 0.99)],
    mean: totalUs / n,
    opsPerSecond: Math.round((n / totalUs) * 1e6),
  };
}

async function main(): Promise<void> {
  Logger.overrideLogger(false);
  const dir = mkdtempSync(join(tmpdir(), 'lp-bench-keys-'));
  const config = AppConfig.fromEnv({
    NODE_ENV: 'test',
    JWT_SECRET: randomBytes(32).toString('base64url'),
    API_KEY_PEPPER: randomBytes(32).toString('base64url'),
    DATABASE_URL: process.env.DATABASE_URL ?? join(dir, 'bench.sqlite'),
  });
  const db = DatabaseFactory.create(config, () => undefined);
  const { error } = await new Migrator({
    db,
    provider: new MigrationSet([apiKeysMigrations]),
  }).migrateToLatest();
  if (error) throw new Error('migration failed');
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

  // A realistic table: a thousand keys, one of them the client's.
  for (let i = 0; i < 999; i++) await service.create({ name: `k${i}`, scopes: ['a'] }, 'bench');
  const { key, id } = await service.create({ name: 'client', scopes: ['stock:write'] }, 'bench');
  const badChecksum = `${key.slice(0, -1)}${key.endsWith('0') ? '1' : '0'}`;
  const unknown = Array.from(
    { length: ITERATIONS + 1000 },
    () => ApiKeyFormat.generate('test').key,
  );
  const repeatedUnknown = ApiKeyFormat.generate('test').key;

  const rows = [
    await measure('rejected by checksum (no lookup)', ITERATIONS, () =>
      verifier.verify(badChecksum),
    ),
    await measure('cache hit, valid key', ITERATIONS, () => verifier.verify(key)),
    await measure('cache hit, known-bad key (negative cache)', ITERATIONS, () =>
      verifier.verify(repeatedUnknown),
    ),
    await measure('cache miss, valid key (database lookup)', ITERATIONS, () => {
      verifier.invalidateByPublicId(id);
      return verifier.verify(key);
    }),
    await measure('cache miss, unknown key (database lookup)', ITERATIONS, (i) =>
      verifier.verify(unknown[i]),
    ),
  ];
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });

  const store = /^postgres/.test(config.database.url.reveal()) ? 'PostgreSQL' : 'SQLite file';
  process.stdout.write(
    `API-key verification, ${ITERATIONS} samples per path, ${store}, node ${process.version}\n\n` +
      '| path | p50 µs | p99 µs | mean µs | ops/s (one at a time) |\n|---|---:|---:|---:|---:|\n',
  );
  for (const r of rows) {
    process.stdout.write(
      `| ${r.path} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.mean.toFixed(1)} | ${r.opsPerSecond} |\n`,
    );
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`bench failed (${error instanceof Error ? error.name : 'unknown'})\n`);
  process.exitCode = 1;
});
