import { Kysely } from 'kysely';

/**
 * API keys (docs/threat-model.md §10). Portable DDL only: the same migration runs on SQLite
 * and PostgreSQL.
 *
 * Security: no column holds a key. `digest` is HMAC-SHA-256(pepper, key) in hex, and the pepper
 * lives outside the database (ASVS 6.5.2, OWASP Password Storage CS "Peppering"), so a stolen
 * table alone cannot confirm a guessed key. `pepper_id` says which pepper made the digest, so
 * peppers can rotate. Lookups go by `public_id` (the primary key, part of every key); the
 * digest is then compared in constant time. A key has at most one successor: two concurrent
 * rotations of the same key cannot both succeed (unique `rotated_from`; NULLs do not collide).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('api_keys')
    .addColumn('public_id', 'varchar(32)', (c) => c.primaryKey())
    .addColumn('digest', 'varchar(64)', (c) => c.notNull())
    .addColumn('pepper_id', 'varchar(32)', (c) => c.notNull())
    .addColumn('name', 'varchar(100)', (c) => c.notNull())
    .addColumn('scopes', 'varchar(2000)', (c) => c.notNull())
    .addColumn('created_by', 'varchar(255)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(32)')
    .addColumn('revoked_at', 'varchar(32)')
    .addColumn('last_used_at', 'varchar(32)')
    .addColumn('rotated_from', 'varchar(32)')
    .execute();
  await db.schema
    .createIndex('api_keys_rotated_from')
    .unique()
    .on('api_keys')
    .column('rotated_from')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('api_keys').execute();
}
