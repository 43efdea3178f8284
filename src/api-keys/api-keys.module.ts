import { Module } from '@nestjs/common';
import { DatabaseModule } from '../database/database.module';
import { RedisModule } from '../redis/redis.module';
import { ApiKeyFailureLimiter } from './api-key-failure.limiter';
import { ApiKeyRevocationFanout } from './api-key-revocation.fanout';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeyHasher } from './api-key.hasher';
import { ApiKeyRepository } from './api-key.repository';
import { ApiKeyVerifier } from './api-key.verifier';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysService } from './api-keys.service';

/**
 * API keys for machine clients (DESIGN.md P6): format, keyed hashing, store, verification
 * with its cache, the guard that AuthenticationGuard calls for `@ApiKeyAuth` routes, and the
 * admin API, and the revocation fan-out that evicts a revoked key from every instance's cache
 * through Redis. Exports the guard (for AuthModule) and the verifier.
 */
@Module({
  imports: [DatabaseModule, RedisModule],
  controllers: [ApiKeysController],
  providers: [
    ApiKeyHasher,
    ApiKeyRepository,
    ApiKeyVerifier,
    ApiKeyFailureLimiter,
    ApiKeyGuard,
    ApiKeysService,
    ApiKeyRevocationFanout,
  ],
  exports: [ApiKeyGuard, ApiKeyVerifier],
})
export class ApiKeysModule {}
