import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { Database } from './database';
import { DatabaseFactory } from './database.factory';
import { DatabaseLifecycleService } from './database-lifecycle.service';

/** The query builder, shared by feature modules. */
@Module({
  providers: [
    {
      provide: Database,
      inject: [AppConfig],
      useFactory: (c: AppConfig) => DatabaseFactory.create(c),
    },
    DatabaseLifecycleService,
  ],
  exports: [Database],
})
export class DatabaseModule {}
