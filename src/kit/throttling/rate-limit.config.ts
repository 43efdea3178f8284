import { z } from 'zod';

const rateLimitEnvSchema = z.object({
  /** Requests one client may send to one route per window (OWASP API4:2023). */
  RATE_LIMIT_MAX: z.coerce.number().int().min(1).max(1_000_000).default(600),
  RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
});

export const rateLimitEnv = rateLimitEnvSchema.shape;
type RateLimitEnv = z.infer<typeof rateLimitEnvSchema>;

export interface RateLimitSettings {
  /** Requests one client (address) may send to one route per window. */
  max: number;
  windowSeconds: number;
}

export function parseRateLimit(env: RateLimitEnv): RateLimitSettings {
  return { max: env.RATE_LIMIT_MAX, windowSeconds: env.RATE_LIMIT_WINDOW_SECONDS };
}
