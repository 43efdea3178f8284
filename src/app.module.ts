import { DynamicModule, Module } from '@nestjs/common';
import type { ModuleMetadata } from '@nestjs/common';
import type { DestinationStream } from 'pino';
import { ApiKeysModule } from './kit/api-keys/api-keys.module';
import { AuthModule } from './kit/auth/auth.module';
import { AppConfig } from './kit/config/app-config';
import { AppConfigModule } from './kit/config/app-config.module';
import { HealthModule } from './kit/health/health.module';
import { RequestPipelineModule } from './kit/http/request-pipeline';
import { LoggingModule } from './kit/logging/logging.module';
import { ShutdownModule } from './kit/shutdown/shutdown.module';
import { ThrottlingModule } from './kit/throttling/throttling.module';

export interface AppModuleOptions {
  /** Where logs go; tests pass a capture stream. Default: stdout. */
  logDestination?: DestinationStream;
}

/** The modules of the service's own domain, mounted beside the kit's. */
export type FeatureModules = NonNullable<ModuleMetadata['imports']>;

@Module({})
export class AppModule {
  static forRoot(
    config: AppConfig,
    features: FeatureModules,
    options: AppModuleOptions = {},
  ): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        LoggingModule.forRoot(options.logDestination),
        ShutdownModule,
        RequestPipelineModule,
        ThrottlingModule,
        AuthModule.forRoot(config),
        ApiKeysModule,
        HealthModule,
        ...features,
      ],
    };
  }
}
