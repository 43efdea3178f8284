import { DatabaseSync } from 'node:sqlite';
import { NodeSqliteDatabase } from './node-sqlite.database';

describe('NodeSqliteDatabase', () => {
  let sqlite: DatabaseSync;
  let db: NodeSqliteDatabase;
  let prepare: jest.SpyInstance;

  beforeEach(() => {
    sqlite = new DatabaseSync(':memory:');
    sqlite.exec("create table t (id integer, name text); insert into t values (1, 'a'), (2, 'b')");
    prepare = jest.spyOn(sqlite, 'prepare');
    db = new NodeSqliteDatabase(sqlite);
  });

  afterEach(() => {
    db.close();
  });

  const names = (rows: unknown[]): unknown[] => rows.map((r) => (r as { name: string }).name);

  it('when the same SQL runs again, it is prepared once and each run binds its own parameters', () => {
    const sql = 'select name from t where id = ?';
    expect(names(db.prepare(sql).all([1]))).toEqual(['a']);
    expect(names(db.prepare(sql).all([2]))).toEqual(['b']);
    expect(names(db.prepare(sql).all([3]))).toEqual([]);
    expect(prepare).toHaveBeenCalledTimes(1);
  });

  it('when a statement is a writer, it reports changes and is not a reader', () => {
    const update = db.prepare('update t set name = ? where id = ?');
    expect(update.reader).toBe(false);
    expect(update.run(['z', 1]).changes).toBe(1);
    expect(db.prepare('update t set name = ? where id = ?').run(['y', 9]).changes).toBe(0);
    expect(names(db.prepare('select name from t order by id').all([]))).toEqual(['z', 'b']);
  });

  it('when an iteration was left unfinished, the next run of that statement starts afresh', () => {
    const sql = 'select name from t order by id';
    const iterator = db.prepare(sql).iterate([]);
    expect(names([iterator.next().value])).toEqual(['a']);
    expect(names(db.prepare(sql).all([]))).toEqual(['a', 'b']);
  });

  it('when more SQL texts arrive than it keeps, the oldest is prepared again', () => {
    for (let i = 0; i <= 200; i++) db.prepare(`select ${i} as n`);
    expect(prepare).toHaveBeenCalledTimes(201);
    db.prepare('select 200 as n');
    expect(prepare).toHaveBeenCalledTimes(201);
    db.prepare('select 0 as n');
    expect(prepare).toHaveBeenCalledTimes(202);
  });
});
