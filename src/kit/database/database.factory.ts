import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { PostgresDialect, SqliteDialect } from 'kysely';
import { Pool } from 'pg';
import { AppConfig } from '../config/app-config';
import { Database } from './database';
import { NodeSqliteDatabase } from './node-sqlite.database';

/** `postgres://` URLs go to PostgreSQL; anything else is a SQLite file path (or `:memory:`). */
export class DatabaseFactory {
  /**
   * `onPoolError` receives errors of idle pooled connections (the server went away). Security:
   * node-postgres emits them as an 'error' event; unhandled, one database outage kills the
   * process (P8). They are reported, never thrown.
   */
  static create(config: AppConfig, onPoolError: (error: Error) => void): Database {
    const url = config.database.url.reveal();
    if (/^postgres(ql)?:\/\//.test(url)) {
      const pool = new Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5000 });
      pool.on('error', onPoolError);
      return new Database({ dialect: new PostgresDialect({ pool }) });
    }
    if (url !== ':memory:') mkdirSync(dirname(url), { recursive: true });
    const sqlite = new DatabaseSync(url);
    sqlite.exec('PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;');
    return new Database({
      dialect: new SqliteDialect({ database: new NodeSqliteDatabase(sqlite) }),
    });
  }
}
