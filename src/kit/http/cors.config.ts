import { z } from 'zod';
import { list, type ParseContext } from '../config/env-values';

const corsEnvSchema = z.object({
  CORS_ORIGINS: list.default([]),
});

/** Browser origins allowed to call the API; none by default (no CORS headers at all). */
export const corsEnv = corsEnvSchema.shape;
type CorsEnv = z.infer<typeof corsEnvSchema>;

export interface CorsSettings {
  origins: readonly string[];
}

export function parseCors(env: CorsEnv, { problems }: ParseContext): CorsSettings {
  if (!env.CORS_ORIGINS.every(isOrigin)) {
    problems.push('CORS_ORIGINS: each entry must be an origin like https://app.example.com');
  }
  return { origins: env.CORS_ORIGINS };
}

function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}
