import { Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { randomUUID } from 'node:crypto';
import { Database } from '../../kit/database/database';
import { DownstreamClient } from '../../kit/downstream/downstream.client';
import { ITEMS_PAGE_LIMIT } from './item.schema';
import type { CreateItem, Item } from './item.schema';
import { InventoryRecordSchema } from './stock-level.schema';
import type { StockLevel } from './stock-level.schema';
import type { ItemsTable, ItemsTables } from './items.table';

@Injectable()
export class ItemsService {
  private readonly db: Kysely<ItemsTables>;

  constructor(
    database: Database,
    private readonly downstream: DownstreamClient,
  ) {
    this.db = database.$extendTables<ItemsTables>();
  }

  async list(): Promise<Item[]> {
    const rows = await this.db
      .selectFrom('items')
      .selectAll()
      .orderBy('created_at')
      .orderBy('id')
      .limit(ITEMS_PAGE_LIMIT)
      .execute();
    return rows.map((row) => ItemsService.toItem(row));
  }

  async find(id: string): Promise<Item | undefined> {
    const row = await this.db
      .selectFrom('items')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && ItemsService.toItem(row);
  }

  async create(input: CreateItem, createdBy: string): Promise<Item> {
    const row: ItemsTable = {
      id: randomUUID(),
      name: input.name,
      stock: input.stock,
      created_by: createdBy,
      created_at: new Date().toISOString(),
    };
    await this.db.insertInto('items').values(row).execute();
    return ItemsService.toItem(row);
  }

  /**
   * The item's stock as the inventory service reports it. Only items we know are asked about,
   * so the server-held key is never spent on an arbitrary id.
   */
  async stockLevel(id: string): Promise<StockLevel | undefined> {
    if (!(await this.find(id))) return undefined;
    const record = await this.downstream.request({
      method: 'GET',
      path: '/inventory/{id}',
      params: { id },
      schema: InventoryRecordSchema,
    });
    return { itemId: id, available: record.available };
  }

  async setStock(id: string, stock: number): Promise<Item | undefined> {
    const result = await this.db
      .updateTable('items')
      .set({ stock })
      .where('id', '=', id)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n ? this.find(id) : undefined;
  }

  private static toItem(row: ItemsTable): Item {
    return { id: row.id, name: row.name, stock: row.stock, createdAt: row.created_at };
  }
}
