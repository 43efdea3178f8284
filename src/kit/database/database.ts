import { Kysely } from 'kysely';

/**
 * The query builder, injectable by class. One instance per app, closed on shutdown. It knows no
 * table: each module declares its own and narrows it, e.g. `db.$extendTables<ItemsTables>()`,
 * so removing a module removes its table types with it.
 */
export class Database extends Kysely<unknown> {}
