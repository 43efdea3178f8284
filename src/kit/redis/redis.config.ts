import { z } from 'zod';
import { Secret } from '../config/secret';

const redisEnvSchema = z.object({
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  /** Namespace for every Redis key and channel, so deployments can share one Redis. */
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/)
    .default('leakproof'),
});

/** REDIS_URL also accepts REDIS_URL_FILE (src/kit/config/secret-source.ts). */
export const redisEnv = redisEnvSchema.shape;
type RedisEnv = z.infer<typeof redisEnvSchema>;

export interface RedisSettings {
  /** A Secret: the URL can carry a password. Null: no Redis is configured. */
  url: Secret | null;
  /** Namespace of every Redis key and channel this deployment uses. */
  keyPrefix: string;
}

export function parseRedis(env: RedisEnv): RedisSettings {
  return {
    url: env.REDIS_URL ? new Secret(env.REDIS_URL) : null,
    keyPrefix: env.REDIS_KEY_PREFIX,
  };
}
