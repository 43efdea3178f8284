import { z } from 'zod';
import type { ParseContext } from '../config/env-values';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

const logEnvSchema = z.object({
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  LOG_FORMAT: z.enum(LOG_FORMATS).optional(),
});

export const logEnv = logEnvSchema.shape;
type LogEnv = z.infer<typeof logEnvSchema> & { NODE_ENV: string };

export interface LogSettings {
  level: (typeof LOG_LEVELS)[number];
  /**
   * `pretty`: lines formatted for a person at a terminal (LogDestination), in development only;
   * `json`: one JSON object per line, for log shippers. Unset: `pretty` in development.
   */
  format: LogFormat;
}

export function parseLog(env: LogEnv, { problems }: ParseContext): LogSettings {
  const development = env.NODE_ENV === 'development';
  // Outside development the log is read by programs (a log shipper, a test), which parse JSON:
  // a pretty line would reach them as unparsed text, and alerts keyed on its fields would not fire.
  if (env.LOG_FORMAT === 'pretty' && !development) {
    problems.push('LOG_FORMAT: pretty is for development only (NODE_ENV=development)');
  }
  return {
    level: env.LOG_LEVEL,
    format: env.LOG_FORMAT ?? (development ? 'pretty' : 'json'),
  };
}
