import { Module } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService } from '@nestjs/core';
import { RouteAuditService } from '../auth/route-audit.service';
import { AppConfig } from '../config/app-config';
import { DatabaseModule } from '../database/database.module';
import { RedisModule } from '../redis/redis.module';
import { ApiKeyFailureLimiter } from './api-key-failure.limiter';
import { ApiKeyRevocationFanout } from './api-key-revocation.fanout';
import { ApiKeyScopePolicy } from './api-key-scope.policy';
import { ApiKeyAuthenticator } from './api-key.authenticator';
import { ApiKeyHasher } from './api-key.hasher';
import { ApiKeyRepository } from './api-key.repository';
import { ApiKeyVerifier } from './api-key.verifier';
import { ApiKeysController } from './api-keys.controller';
import { apiKeysMigrations } from './api-keys.migrations';
import { ApiKeysService } from './api-keys.service';

/**
 * API keys for machine clients (docs/threat-model.md §10): format, keyed hashing, store,
 * verification with its cache, the guard that AuthenticationGuard calls for `@ApiKeyAuth`
 * routes, the admin API with the scopes keys may carry, and the revocation fan-out that evicts
 * a revoked key from every instance's cache through Redis. Exports the guard (for AuthModule)
 * and the verifier.
 */
@Module({
  imports: [
    DatabaseModule.forFeature({ migrations: apiKeysMigrations }),
    RedisModule,
    DiscoveryModule,
  ],
  controllers: [ApiKeysController],
  providers: [
    ApiKeyHasher,
    ApiKeyRepository,
    ApiKeyVerifier,
    ApiKeyFailureLimiter,
    ApiKeyAuthenticator,
    ApiKeysService,
    ApiKeyRevocationFanout,
    {
      // Every controller is registered before any provider is built, so all routes are known.
      provide: ApiKeyScopePolicy,
      inject: [AppConfig, DiscoveryService],
      useFactory: (config: AppConfig, discovery: DiscoveryService) =>
        ApiKeyScopePolicy.of(
          config,
          RouteAuditService.routesOf(discovery.getControllers().map((c) => c.metatype)),
        ),
    },
  ],
  exports: [ApiKeyAuthenticator, ApiKeyVerifier],
})
export class ApiKeysModule {}
