import type { Migration, MigrationProvider } from 'kysely/migration';
import * as items from '../../demo/items/migrations/0001-items';
import * as apiKeys from './migrations/0002-api-keys';
import * as itemsCreatedAt from '../../demo/items/migrations/0003-items-created-at-index';

/**
 * Migrations are listed in code rather than read from a folder, so the compiled app and the
 * tests (which run TypeScript directly) see the same set. Append new ones; never edit old ones.
 */
export class MigrationList implements MigrationProvider {
  getMigrations(): Promise<Record<string, Migration>> {
    return Promise.resolve({
      '0001-items': items,
      '0002-api-keys': apiKeys,
      '0003-items-created-at-index': itemsCreatedAt,
    });
  }
}
