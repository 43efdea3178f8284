import type { Migrations } from '../database/migration-set';
import * as apiKeys from './migrations/0002-api-keys';

/** The API-key store's migrations, under the names Kysely records them by. */
export const apiKeysMigrations: Migrations = { '0002-api-keys': apiKeys };
