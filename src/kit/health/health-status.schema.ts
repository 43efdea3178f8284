import { z } from 'zod';

/**
 * What a health probe answers with 200: a status word and nothing else. A failing check is a
 * 503 problem+json; which dependency failed, and why, goes to the server log only.
 */
export const HealthStatusSchema = z
  .strictObject({ status: z.enum(['ok', 'degraded']) })
  .meta({ id: 'HealthStatus' });
