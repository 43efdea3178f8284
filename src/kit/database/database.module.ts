import { Logger, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { RedactionModule } from '../security/redaction.module';
import { Redactor } from '../security/redactor';
import { Database } from './database';
import { DatabaseFactory } from './database.factory';
import { DatabaseLifecycleService } from './database-lifecycle.service';

/** The query builder, shared by feature modules. */
@Module({
  imports: [RedactionModule],
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
export class DatabaseModule {}
