import { Logger, Module } from '@nestjs/common';
import type { ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { TestingModule } from '@nestjs/testing';
import type { Kysely } from 'kysely';
import type { Migrations } from './migration-set';
import { randomBytes } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { AppConfigModule } from '../config/app-config.module';
import { Database } from './database';
import { DatabaseModule } from './database.module';

/** A migration that creates one table, and records its name in `applied` when it runs. */
function createTable(table: string, applied: string[]): Migrations[string] {
  return {
    up: async (db: Kysely<unknown>) => {
      applied.push(table);
      await db.schema.createTable(table).addColumn('id', 'integer').execute();
    },
  };
}

/** A fresh in-memory SQLite database, migrated by DatabaseModule, with these modules mounted. */
async function start(features: ModuleMetadata['imports']): Promise<TestingModule> {
  const config = AppConfig.fromEnv({
    NODE_ENV: 'test',
    JWT_SECRET: randomBytes(32).toString('base64url'),
    DATABASE_URL: ':memory:',
  });
  const module = await Test.createTestingModule({
    imports: [AppConfigModule.forRoot(config), DatabaseModule, ...(features ?? [])],
  }).compile();
  try {
    await module.init();
    return module;
  } catch (error) {
    await module.close();
    throw error;
  }
}

async function tables(module: TestingModule): Promise<string[]> {
  const metadata = await module.get(Database).introspection.getTables();
  return metadata.map((table) => table.name).sort();
}

describe('DatabaseModule', () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  it('when no module registers migrations, the fresh database gets no table', async () => {
    const module = await start([]);
    try {
      expect(await tables(module)).toEqual([]);
    } finally {
      await module.close();
    }
  });

  it('when two modules register migrations, all of them run, in name order across modules', async () => {
    const applied: string[] = [];
    @Module({
      imports: [
        DatabaseModule.forFeature({
          migrations: {
            '0001-a': createTable('a', applied),
            '0003-c': createTable('c', applied),
          },
        }),
      ],
    })
    class FirstFeature {}
    @Module({
      imports: [DatabaseModule.forFeature({ migrations: { '0002-b': createTable('b', applied) } })],
    })
    class SecondFeature {}

    const module = await start([FirstFeature, SecondFeature]);
    try {
      expect(applied).toEqual(['a', 'b', 'c']);
      expect(await tables(module)).toEqual(['a', 'b', 'c']);
    } finally {
      await module.close();
    }
  });

  it('when two modules register the same migration name, the start fails naming it', async () => {
    const applied: string[] = [];
    @Module({
      imports: [DatabaseModule.forFeature({ migrations: { '0001-a': createTable('a', applied) } })],
    })
    class FirstFeature {}
    @Module({
      imports: [DatabaseModule.forFeature({ migrations: { '0001-a': createTable('b', applied) } })],
    })
    class SecondFeature {}

    await expect(start([FirstFeature, SecondFeature])).rejects.toThrow(
      'Migration 0001-a is registered twice',
    );
    expect(applied).toEqual([]);
  });
});
