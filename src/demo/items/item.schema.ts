import { z } from 'zod';
import { freeText } from '../../kit/security/free-text.schema';

/** The most items one list call returns (ItemsService.list); the document says so as maxItems. */
export const ITEMS_PAGE_LIMIT = 100;

// Bounds and integer formats are part of the contract: OWASP API4:2023 asks the document to
// state them, and zod does not emit `format: int32` on its own.
const stock = z.int().min(0).max(1_000_000).meta({ format: 'int32' });

export const CreateItemSchema = z
  .strictObject({
    name: freeText({ max: 200 }),
    stock: stock.default(0),
  })
  .meta({ id: 'CreateItem' });
export type CreateItem = z.infer<typeof CreateItemSchema>;

export const ItemIdSchema = z.uuid().max(36);

/** The body a warehouse system sends with its API key: the new stock count. */
export const StockUpdateSchema = z.strictObject({ stock }).meta({ id: 'StockUpdate' });
export type StockUpdate = z.infer<typeof StockUpdateSchema>;

export const ItemSchema = z
  .strictObject({
    id: ItemIdSchema,
    name: z.string().max(200),
    stock,
    createdAt: z.iso.datetime().max(40),
  })
  .meta({ id: 'Item' });
export type Item = z.infer<typeof ItemSchema>;

export const ItemListSchema = z.array(ItemSchema).max(ITEMS_PAGE_LIMIT);
