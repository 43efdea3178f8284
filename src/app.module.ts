import { DynamicModule, Module } from '@nestjs/common';
import type { DestinationStream } from 'pino';
import { ApiKeysModule } from './api-keys/api-keys.module';
import { AuthModule } from './auth/auth.module';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { HealthModule } from './health/health.module';
import { ItemsModule } from './items/items.module';
import { LoggingModule } from './logging/logging.module';
import { SecurityModule } from './security/security.module';
import { ShutdownModule } from './shutdown/shutdown.module';
import { ThrottlingModule } from './throttling/throttling.module';

export interface AppModuleOptions {
  /** Where logs go; tests pass a capture stream. Default: stdout. */
  logDestination?: DestinationStream;
}

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, options: AppModuleOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(options.logDestination),
        ShutdownModule,
        SecurityModule,
        // Before AuthModule: its APP_GUARD must be the first global guard (rate limit, then auth).
        ThrottlingModule,
        AuthModule.forRoot(config),
        ApiKeysModule,
        HealthModule,
        ItemsModule,
      ],
    };
  }
}
