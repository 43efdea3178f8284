import { Kysely } from 'kysely';
import type { DatabaseSchema } from './database-schema';

/** The query builder, injectable by class. One instance per app, closed on shutdown. */
export class Database extends Kysely<DatabaseSchema> {}
