import { DynamicModule, Module, Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { AppConfig } from '../config/app-config';
import { AuthenticationGuard } from './authentication.guard';
import { DevIssuer } from './dev-issuer';
import { DevKeyMaterial } from './dev-key-material';
import { DevIssuerController } from './dev-issuer.controller';
import { JwtAuthenticator } from './jwt.authenticator';
import { JwtKeyResolver } from './jwt-key.resolver';
import { JwtStrategy } from './jwt.strategy';
import { RouteAuditService } from './route-audit.service';
import { ScopeGuard } from './scope.guard';

/**
 * Authentication and authorization: the JWT strategy, the deny-by-default guards
 * (authentication, then scopes: global, registered in their place by the request pipeline,
 * src/kit/http/request-pipeline.ts), the boot-time route audit, and the development issuer.
 */
@Module({})
export class AuthModule {
  static forRoot(config: AppConfig): DynamicModule {
    const devIssuer = config.jwt.keySource.kind === 'dev-issuer' && !config.isProduction;
    const providers: Provider[] = [
      JwtKeyResolver,
      JwtStrategy,
      JwtAuthenticator,
      RouteAuditService,
      AuthenticationGuard,
      ScopeGuard,
    ];
    if (devIssuer) {
      providers.push({
        provide: DevIssuer,
        inject: [AppConfig, DevKeyMaterial],
        useFactory: (c: AppConfig, keys: DevKeyMaterial | null) => new DevIssuer(c, keys),
      });
    }
    return {
      module: AuthModule,
      imports: [PassportModule, DiscoveryModule, ApiKeysModule],
      controllers: devIssuer ? [DevIssuerController] : [],
      providers,
      exports: [RouteAuditService],
    };
  }
}
