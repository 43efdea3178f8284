import { z } from 'zod';

/**
 * What the downstream inventory service answers for `GET /inventory/{id}`. Only `available`
 * is kept: whatever else the downstream sends (an echo of our headers, internal fields) is
 * dropped by the parse and never reaches our response.
 */
export const InventoryRecordSchema = z.object({
  available: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
});

export const StockLevelSchema = z
  .strictObject({
    itemId: z.uuid().max(36),
    // int64: the downstream may report up to MAX_SAFE_INTEGER (OWASP API4 integer bounds).
    available: z.int().min(0).max(Number.MAX_SAFE_INTEGER).meta({ format: 'int64' }),
  })
  .meta({ id: 'StockLevel' });
export type StockLevel = z.infer<typeof StockLevelSchema>;
