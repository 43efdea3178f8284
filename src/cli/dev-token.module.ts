import { DynamicModule, Module } from '@nestjs/common';
import { DevIssuer } from '../kit/auth/dev-issuer';
import { DevKeyMaterial } from '../kit/auth/dev-key-material';
import { AppConfig } from '../kit/config/app-config';
import { AppConfigModule } from '../kit/config/app-config.module';

/**
 * What `npm run token` needs and nothing more: the configuration and the development issuer,
 * which refuses to exist in production or with a real key source. No database, no Redis: a
 * token is signed locally.
 */
@Module({})
export class DevTokenModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: DevTokenModule,
      imports: [AppConfigModule.forRoot(config)],
      providers: [
        {
          provide: DevIssuer,
          inject: [AppConfig, DevKeyMaterial],
          useFactory: (c: AppConfig, keys: DevKeyMaterial | null) => new DevIssuer(c, keys),
        },
      ],
    };
  }
}
