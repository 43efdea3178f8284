import { z } from 'zod';
import { list, type ParseContext } from '../config/env-values';
import { Secret } from '../config/secret';
import { checkStrength } from '../config/secret-source';
import { SCOPE_TOKEN } from './api-key-scope.policy';

const apiKeysEnvSchema = z.object({
  /** Failed API-key verifications one client address may make per minute before a 429. */
  API_KEY_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(20),
  /** Scopes API keys may carry, comma-separated; unset: those the `@ApiKeyAuth` routes need. */
  API_KEY_ALLOWED_SCOPES: list.pipe(z.array(z.string().regex(SCOPE_TOKEN)).min(1)).optional(),
});

/** API keys' variables; the peppers are API_KEY_PEPPER and API_KEY_PEPPER_PREVIOUS, secrets. */
export const apiKeysEnv = apiKeysEnvSchema.shape;
type ApiKeysEnv = z.infer<typeof apiKeysEnvSchema>;

export interface ApiKeySettings {
  /**
   * Hashes new keys and verifies the keys hashed with it (ApiKeyHasher). Null outside
   * production when API_KEY_PEPPER is unset: the development pepper (DevKeyMaterial) is used.
   */
  pepper: Secret | null;
  /** Retired peppers: they verify keys hashed before a pepper rotation, never new keys. */
  previousPeppers: readonly Secret[];
  /** `live` in production, `test` elsewhere: a test key never works in production. */
  environment: 'live' | 'test';
  failuresPerMinute: number;
  /** API_KEY_ALLOWED_SCOPES; null: the scopes the app's API-key routes need (ApiKeyScopePolicy). */
  allowedScopes: readonly string[] | null;
}

/** Null when the pepper is missing in production (elsewhere the development pepper is used). */
export function parseApiKeys(
  env: ApiKeysEnv,
  { production, secrets, problems }: ParseContext,
): ApiKeySettings | null {
  const pepper = secrets.API_KEY_PEPPER;
  if (pepper) checkStrength('API_KEY_PEPPER', pepper, production, problems);
  else if (production) problems.push('API_KEY_PEPPER: required in production');
  const previousPeppers = (secrets.API_KEY_PEPPER_PREVIOUS ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  for (const previous of previousPeppers) {
    checkStrength('API_KEY_PEPPER_PREVIOUS', previous, production, problems);
  }
  if (!pepper && production) return null;
  return {
    pepper: pepper ? new Secret(pepper) : null,
    previousPeppers: previousPeppers.map((p) => new Secret(p)),
    environment: production ? 'live' : 'test',
    failuresPerMinute: env.API_KEY_FAILURES_PER_MINUTE,
    allowedScopes: env.API_KEY_ALLOWED_SCOPES ?? null,
  };
}
