import type { DatabaseSync } from 'node:sqlite';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

type Param = null | number | bigint | string | NodeJS.ArrayBufferView;

/**
 * Prepared statements kept for reuse. Kysely sends parameterised SQL, so the texts are the few
 * query shapes the app has; the bound only matters if something generated SQL per value.
 */
const MAX_STATEMENTS = 200;

/**
 * The thin adapter between Kysely's SQLite dialect and Node's built-in `node:sqlite`: no
 * native build, no server. Kysely needs to know per statement whether it returns rows; a
 * statement that has result columns is a reader.
 *
 * Each SQL text is prepared once and its statement reused: preparing is a large part of a
 * simple query's cost. That is safe here because node:sqlite resets a statement and clears its
 * bindings on every call, and Kysely runs one query at a time on this connection (its SQLite
 * driver holds a mutex), so no two uses of a statement overlap.
 */
export class NodeSqliteDatabase implements SqliteDatabase {
  private readonly statements = new Map<string, SqliteStatement>();

  constructor(private readonly db: DatabaseSync) {}

  close(): void {
    this.statements.clear();
    this.db.close();
  }

  prepare(sql: string): SqliteStatement {
    let prepared = this.statements.get(sql);
    if (!prepared) {
      prepared = this.adapt(sql);
      if (this.statements.size >= MAX_STATEMENTS) {
        const oldest = this.statements.keys().next();
        if (!oldest.done) this.statements.delete(oldest.value);
      }
      this.statements.set(sql, prepared);
    }
    return prepared;
  }

  private adapt(sql: string): SqliteStatement {
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
