import {
  DynamicModule,
  Global,
  Injectable,
  Logger,
  Module,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { DevKeyMaterial } from '../auth/dev-key-material';
import { AppConfig } from './app-config';

/**
 * Logs the configuration's warnings once at boot, through the app's logger: the configuration
 * is read before that logger exists, so it only records them.
 */
@Injectable()
export class ConfigWarnings implements OnApplicationBootstrap {
  private readonly logger = new Logger(AppConfig.name);

  constructor(private readonly config: AppConfig) {}

  onApplicationBootstrap(): void {
    for (const warning of this.config.warnings) this.logger.warn(warning);
  }
}

/**
 * Provides the validated AppConfig everywhere, and the development key material (null unless the
 * configuration uses it), loaded or created here at app start rather than while parsing. Global:
 * configuration is read by every module.
 */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppConfigModule,
      providers: [
        { provide: AppConfig, useValue: config },
        { provide: DevKeyMaterial, useFactory: () => DevKeyMaterial.forConfig(config) },
        ConfigWarnings,
      ],
      exports: [AppConfig, DevKeyMaterial],
    };
  }
}
