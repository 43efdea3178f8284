import { z } from 'zod';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const logEnvSchema = z.object({
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
});

export const logEnv = logEnvSchema.shape;
type LogEnv = z.infer<typeof logEnvSchema>;

export interface LogSettings {
  level: (typeof LOG_LEVELS)[number];
}

export function parseLog(env: LogEnv): LogSettings {
  return { level: env.LOG_LEVEL };
}
