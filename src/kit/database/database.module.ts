import { DynamicModule, Logger, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AppConfig } from '../config/app-config';
import { RedactionModule } from '../security/redaction.module';
import { Redactor } from '../security/redactor';
import { Database } from './database';
import { DatabaseFactory } from './database.factory';
import { DatabaseLifecycleService } from './database-lifecycle.service';
import { FeatureMigrations } from './migration-set';
import type { Migrations } from './migration-set';

/** One feature's registration: its migrations, and the database re-exported to it. */
@Module({})
class DatabaseFeatureModule {}

/**
 * The query builder, shared by feature modules, and the migrator. It knows no table of its own:
 * a module that owns tables imports `DatabaseModule.forFeature({ migrations })`, and every
 * registered migration runs at start.
 */
@Module({
  imports: [RedactionModule, DiscoveryModule],
  providers: [
    {
      provide: Database,
      inject: [AppConfig, Redactor],
      useFactory: (config: AppConfig, redactor: Redactor) => {
        const logger = new Logger('Database');
        return DatabaseFactory.create(config, (error) => {
          logger.error({ err: redactor.summarize(error) }, 'idle database connection failed');
        });
      },
    },
    DatabaseLifecycleService,
  ],
  exports: [Database],
})
export class DatabaseModule {
  static forFeature(options: { migrations: Migrations }): DynamicModule {
    return {
      module: DatabaseFeatureModule,
      imports: [DatabaseModule],
      providers: [
        { provide: FeatureMigrations, useValue: new FeatureMigrations(options.migrations) },
      ],
      exports: [DatabaseModule],
    };
  }
}
