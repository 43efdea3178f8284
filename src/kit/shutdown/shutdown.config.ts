import { z } from 'zod';

const shutdownEnvSchema = z.object({
  /** On SIGTERM/SIGINT: how long in-flight requests may take to finish before exit 1. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(10_000),
});

export const shutdownEnv = shutdownEnvSchema.shape;
type ShutdownEnv = z.infer<typeof shutdownEnvSchema>;

export interface ShutdownSettings {
  /** SIGTERM/SIGINT: the bound on draining in-flight requests, then the process exits. */
  timeoutMs: number;
}

export function parseShutdown(env: ShutdownEnv): ShutdownSettings {
  return { timeoutMs: env.SHUTDOWN_TIMEOUT_MS };
}
