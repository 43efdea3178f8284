import type { DatabaseSync } from 'node:sqlite';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

type Param = null | number | bigint | string | NodeJS.ArrayBufferView;

/**
 * The thin adapter between Kysely's SQLite dialect and Node's built-in `node:sqlite`: no
 * native build, no server. Kysely needs to know per statement whether it returns rows; a
 * statement that has result columns is a reader.
 */
export class NodeSqliteDatabase implements SqliteDatabase {
  constructor(private readonly db: DatabaseSync) {}

  close(): void {
    this.db.close();
  }

  prepare(sql: string): SqliteStatement {
    const statement = this.db.prepare(sql);
    return {
      reader: statement.columns().length > 0,
      all: (parameters) => statement.all(...(parameters as Param[])),
      run: (parameters) => {
        const { changes, lastInsertRowid } = statement.run(...(parameters as Param[]));
        return { changes, lastInsertRowid };
      },
      iterate: (parameters) => statement.iterate(...(parameters as Param[])),
    };
  }
}
