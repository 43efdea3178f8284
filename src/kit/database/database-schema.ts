/** Table types for Kysely. Timestamps are ISO-8601 strings: portable across SQLite and PostgreSQL. */
export interface ItemsTable {
  id: string;
  name: string;
  stock: number;
  created_by: string;
  created_at: string;
}

/**
 * API keys: never the key itself, only HMAC-SHA-256(pepper, key) in hex and the id of the pepper
 * that made it. `scopes` is space-separated, as in the RFC 9068 `scope` claim.
 */
export interface ApiKeysTable {
  public_id: string;
  digest: string;
  pepper_id: string;
  name: string;
  scopes: string;
  created_by: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  /** The key this one replaced by rotation. */
  rotated_from: string | null;
}

export interface DatabaseSchema {
  items: ItemsTable;
  api_keys: ApiKeysTable;
}
