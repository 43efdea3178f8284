/**
 * An API key's row: never the key itself, only HMAC-SHA-256(pepper, key) in hex and the id of
 * the pepper that made it. `scopes` is space-separated, as in the RFC 9068 `scope` claim.
 * Timestamps are ISO-8601 strings: portable across SQLite and PostgreSQL.
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

/**
 * The tables the API-key store queries, for `Database.$extendTables`. A type alias, not an interface:
 * `$extendTables` takes a record type, and only aliases have an implicit index signature.
 */
export type ApiKeyTables = { api_keys: ApiKeysTable };
