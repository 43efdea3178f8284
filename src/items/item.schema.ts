import { z } from 'zod';

export const CreateItemSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    stock: z.number().int().min(0).max(1_000_000).default(0),
  })
  .meta({ id: 'CreateItem' });
export type CreateItem = z.infer<typeof CreateItemSchema>;

export const ItemIdSchema = z.uuid();

export const ItemSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    stock: z.number().int(),
    createdAt: z.string(),
  })
  .meta({ id: 'Item' });
export type Item = z.infer<typeof ItemSchema>;
