import type { Migrations } from '../../kit/database/migration-set';
import * as items from './migrations/0001-items';
import * as itemsCreatedAtIndex from './migrations/0003-items-created-at-index';

/** The items table's migrations, under the names Kysely records them by. */
export const itemsMigrations: Migrations = {
  '0001-items': items,
  '0003-items-created-at-index': itemsCreatedAtIndex,
};
