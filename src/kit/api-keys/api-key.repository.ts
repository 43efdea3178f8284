import { Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { Database } from '../database/database';
import type { ApiKeyTables, ApiKeysTable } from './api-keys.table';

/** Database access for API keys. Nothing here ever sees a key, only digests. */
@Injectable()
export class ApiKeyRepository {
  private readonly db: Kysely<ApiKeyTables>;

  constructor(database: Database) {
    this.db = database.$extendTables<ApiKeyTables>();
  }

  async insert(row: ApiKeysTable): Promise<void> {
    await this.db.insertInto('api_keys').values(row).execute();
  }

  find(publicId: string): Promise<ApiKeysTable | undefined> {
    return this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('public_id', '=', publicId)
      .executeTakeFirst();
  }

  list(limit: number): Promise<ApiKeysTable[]> {
    return this.db
      .selectFrom('api_keys')
      .selectAll()
      .orderBy('created_at')
      .orderBy('public_id')
      .limit(limit)
      .execute();
  }

  /** Sets `revoked_at` unless already set; true when this call revoked the key. */
  async revoke(publicId: string, at: string): Promise<boolean> {
    const result = await this.db
      .updateTable('api_keys')
      .set({ revoked_at: at })
      .where('public_id', '=', publicId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Rotation in one transaction: the successor is stored, the old key gets its end of overlap. */
  async rotate(oldPublicId: string, oldExpiresAt: string, successor: ApiKeysTable): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('api_keys').values(successor).execute();
      await trx
        .updateTable('api_keys')
        .set({ expires_at: oldExpiresAt })
        .where('public_id', '=', oldPublicId)
        .execute();
    });
  }

  async successorOf(publicId: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('api_keys')
      .select('public_id')
      .where('rotated_from', '=', publicId)
      .executeTakeFirst();
    return row?.public_id;
  }

  /** Re-hashes a row with the current pepper after it verified with a retired one. */
  async updateDigest(publicId: string, digest: string, pepperId: string): Promise<void> {
    await this.db
      .updateTable('api_keys')
      .set({ digest, pepper_id: pepperId })
      .where('public_id', '=', publicId)
      .execute();
  }

  /** Writes a batch of last-use times, one statement per key, in one transaction. */
  async recordLastUse(uses: ReadonlyMap<string, string>): Promise<void> {
    if (uses.size === 0) return;
    await this.db.transaction().execute(async (trx) => {
      for (const [publicId, at] of uses) {
        await trx
          .updateTable('api_keys')
          .set({ last_used_at: at })
          .where('public_id', '=', publicId)
          .execute();
      }
    });
  }
}
