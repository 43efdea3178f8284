import type { Migration, MigrationProvider } from 'kysely/migration';

/** Migrations by name: the name is what Kysely records as applied, so it never changes. */
export type Migrations = Readonly<Record<string, Migration>>;

/**
 * One feature module's migrations, as `DatabaseModule.forFeature` registers them; the migrator
 * collects every instance in the app.
 */
export class FeatureMigrations {
  constructor(readonly migrations: Migrations) {}
}

/**
 * Several modules' migrations as one Kysely provider. They are imported in code rather than read
 * from a folder, so the compiled app and the tests (which run TypeScript directly) see the same
 * set. Kysely runs them in name order across all modules and refuses a new name that sorts before
 * one already applied, so a new migration takes the next free number whichever module owns it.
 * Append new ones; never edit or rename old ones.
 */
export class MigrationSet implements MigrationProvider {
  private readonly migrations: Record<string, Migration> = {};

  constructor(sets: Iterable<Migrations>) {
    for (const set of sets) {
      for (const [name, migration] of Object.entries(set)) {
        if (Object.hasOwn(this.migrations, name))
          throw new Error(`Migration ${name} is registered twice`);
        this.migrations[name] = migration;
      }
    }
  }

  getMigrations(): Promise<Record<string, Migration>> {
    return Promise.resolve({ ...this.migrations });
  }
}
