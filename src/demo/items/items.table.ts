/** An item's row. Timestamps are ISO-8601 strings: portable across SQLite and PostgreSQL. */
export interface ItemsTable {
  id: string;
  name: string;
  stock: number;
  created_by: string;
  created_at: string;
}

/**
 * The tables ItemsService queries, for `Database.$extendTables`. A type alias, not an interface:
 * `$extendTables` takes a record type, and only aliases have an implicit index signature.
 */
export type ItemsTables = { items: ItemsTable };
