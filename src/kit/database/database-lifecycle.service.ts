import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { Migrator } from 'kysely/migration';
import { Database } from './database';
import { FeatureMigrations, MigrationSet } from './migration-set';

/**
 * Applies pending migrations at start (those of every `DatabaseModule.forFeature` in the app)
 * and closes the pool at shutdown.
 */
@Injectable()
export class DatabaseLifecycleService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(DatabaseLifecycleService.name);

  constructor(
    private readonly db: Database,
    private readonly discovery: DiscoveryService,
  ) {}

  async onModuleInit(): Promise<void> {
    const registered = this.discovery
      .getProviders()
      .map((wrapper) => wrapper.instance as unknown)
      .filter((instance) => instance instanceof FeatureMigrations)
      .map((feature) => feature.migrations);
    const migrator = new Migrator({ db: this.db, provider: new MigrationSet(registered) });
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
