import { z } from 'zod';
import { Secret } from '../config/secret';

const databaseEnvSchema = z.object({
  /** A PostgreSQL URL, or a SQLite file path (`:memory:` for a throwaway database). */
  DATABASE_URL: z.string().min(1).default('.data/leakproof.sqlite'),
});

/** DATABASE_URL also accepts DATABASE_URL_FILE (src/kit/config/secret-source.ts). */
export const databaseEnv = databaseEnvSchema.shape;
type DatabaseEnv = z.infer<typeof databaseEnvSchema>;

export interface DatabaseSettings {
  /** A Secret: a PostgreSQL URL can carry a password. */
  url: Secret;
}

export function parseDatabase(env: DatabaseEnv): DatabaseSettings {
  return { url: new Secret(env.DATABASE_URL) };
}
