/** Table types for Kysely. Timestamps are ISO-8601 strings: portable across SQLite and PostgreSQL. */
export interface ItemsTable {
  id: string;
  name: string;
  stock: number;
  created_by: string;
  created_at: string;
}

export interface DatabaseSchema {
  items: ItemsTable;
}
