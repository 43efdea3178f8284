import { z } from 'zod';
import { apiKeysEnv } from '../api-keys/api-keys.config';
import { devKeysEnv } from '../auth/dev-key-material';
import { jwtEnv } from '../auth/jwt.config';
import { databaseEnv } from '../database/database.config';
import { downstreamEnv } from '../downstream/downstream.config';
import { corsEnv } from '../http/cors.config';
import { httpEnv } from '../http/http.config';
import { logEnv } from '../logging/logging.config';
import { docsEnv } from '../openapi/docs.config';
import { redisEnv } from '../redis/redis.config';
import { shutdownEnv } from '../shutdown/shutdown.config';
import { rateLimitEnv } from '../throttling/rate-limit.config';

export { SECRET_VARIABLES } from './secret-source';

/**
 * The environment contract (the README's configuration table), merged from the variables each
 * feature declares in its own `*.config.ts`. Every value arrives as a string; this schema turns
 * it into typed values. The secret variables (SECRET_VARIABLES, src/kit/config/secret-source.ts)
 * are read apart and never pass through it. Cross-field rules (one key source, the production
 * refusals) live in each feature's `parse`, which AppConfig.fromEnv calls.
 */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  ...httpEnv,
  ...corsEnv,
  ...docsEnv,
  ...jwtEnv,
  ...devKeysEnv,
  ...apiKeysEnv,
  ...databaseEnv,
  ...redisEnv,
  ...rateLimitEnv,
  ...downstreamEnv,
  ...logEnv,
  ...shutdownEnv,
});

export type Env = z.infer<typeof envSchema>;
