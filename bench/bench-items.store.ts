import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Kysely, SqliteDialect, type SqliteDatabase } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';

interface ItemsTable {
  id: string;
  name: string;
  stock: number;
  created_by: string;
  created_at: string;
}
export interface BenchItem {
  id: string;
  name: string;
  stock: number;
  createdAt: string;
}
type Adapter = new (db: DatabaseSync) => SqliteDatabase;
type Migrations = Readonly<Record<string, Migration>>;
type MigrationSet = new (sets: Iterable<Migrations>) => MigrationProvider;

/**
 * The items of the comparison apps. With BENCH_DATABASE (the harness sets it), a SQLite file
 * opened as Leakproof opens its own — node:sqlite behind Leakproof's adapter, WAL, Leakproof's
 * migrations, loaded from the built app (BENCH_DIST) — and queried as ItemsService queries it.
 * A ratio to the baseline is then the price of the security layers, not of the database read
 * that Leakproof's route makes and a static route would not. Without it: the static body
 * (`baseline-static`, and the raw node:http ceiling).
 */
export class BenchItemsStore {
  private constructor(
    private readonly db: Kysely<{ items: ItemsTable }> | null,
    private readonly body: BenchItem[],
  ) {}

  static async open(): Promise<BenchItemsStore> {
    const body = JSON.parse(process.env.BENCH_BODY ?? '[]') as BenchItem[];
    const file = process.env.BENCH_DATABASE;
    const dist = process.env.BENCH_DIST;
    if (!file || !dist) return new BenchItemsStore(null, body);
    /* eslint-disable @typescript-eslint/no-require-imports -- the built app's own modules */
    const database = join(dist, 'kit', 'database');
    const { NodeSqliteDatabase } = require(join(database, 'node-sqlite.database.js')) as {
      NodeSqliteDatabase: Adapter;
    };
    const { MigrationSet } = require(join(database, 'migration-set.js')) as {
      MigrationSet: MigrationSet;
    };
    const { itemsMigrations } = require(join(dist, 'demo', 'items', 'items.migrations.js')) as {
      itemsMigrations: Migrations;
    };
    /* eslint-enable @typescript-eslint/no-require-imports */
    const sqlite = new DatabaseSync(file);
    sqlite.exec('PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;');
    const db = new Kysely<{ items: ItemsTable }>({
      dialect: new SqliteDialect({ database: new NodeSqliteDatabase(sqlite) }),
    });
    const { error } = await new Migrator({
      db,
      provider: new MigrationSet([itemsMigrations]),
    }).migrateToLatest();
    if (error) throw error instanceof Error ? error : new Error('bench migration failed');
    for (const item of body) {
      const row = { ...item, created_by: 'user:bench', created_at: item.createdAt };
      delete (row as Partial<BenchItem>).createdAt;
      await db.insertInto('items').values(row).execute();
    }
    return new BenchItemsStore(db, body);
  }

  /** ItemsService.list: the first page in creation order. */
  async list(): Promise<BenchItem[]> {
    if (!this.db) return this.body;
    const rows = await this.db
      .selectFrom('items')
      .selectAll()
      .orderBy('created_at')
      .orderBy('id')
      .limit(100)
      .execute();
    return rows.map((row) => BenchItemsStore.toItem(row));
  }

  /** ItemsService.setStock: one UPDATE, then the item read back. */
  async setStock(id: string, stock: number): Promise<BenchItem | undefined> {
    if (!this.db) return this.body.find((item) => item.id === id);
    const result = await this.db
      .updateTable('items')
      .set({ stock })
      .where('id', '=', id)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) return undefined;
    const row = await this.db
      .selectFrom('items')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && BenchItemsStore.toItem(row);
  }

  private static toItem(row: ItemsTable): BenchItem {
    return { id: row.id, name: row.name, stock: row.stock, createdAt: row.created_at };
  }
}
