import { Kysely } from 'kysely';

/**
 * `GET /items` reads the first page in creation order: with this index SQLite and PostgreSQL
 * walk it instead of sorting the table on every request. `id` breaks ties, so the order is
 * stable across pages and engines.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('items_created_at_id')
    .on('items')
    .columns(['created_at', 'id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('items_created_at_id').execute();
}
