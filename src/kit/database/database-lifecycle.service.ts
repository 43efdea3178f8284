import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Migrator } from 'kysely/migration';
import { Database } from './database';
import { MigrationList } from './migration-list';

/** Applies pending migrations at start and closes the pool at shutdown. */
@Injectable()
export class DatabaseLifecycleService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(DatabaseLifecycleService.name);

  constructor(private readonly db: Database) {}

  async onModuleInit(): Promise<void> {
    const migrator = new Migrator({ db: this.db, provider: new MigrationList() });
    const { error } = await migrator.migrateToLatest();
    // Security: a driver error can quote the connection string; only its class name goes out.
    if (error)
      throw new Error(
        `Database migration failed (${error instanceof Error ? error.name : 'unknown'})`,
      );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.db.destroy();
    this.logger.log('database pool closed');
  }
}
