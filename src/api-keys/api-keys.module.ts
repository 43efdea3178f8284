import { Module } from '@nestjs/common';
import { DatabaseModule } from '../database/database.module';
import { ApiKeyFailureLimiter } from './api-key-failure.limiter';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeyHasher } from './api-key.hasher';
import { ApiKeyRepository } from './api-key.repository';
import { ApiKeyVerifier } from './api-key.verifier';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysService } from './api-keys.service';

/**
 * API keys for machine clients (DESIGN.md P6): format, keyed hashing, store, verification
 * with its cache, the guard that AuthenticationGuard calls for `@ApiKeyAuth` routes, and the
 * admin API. Exports the guard (for AuthModule) and the verifier (its invalidateByPublicId is
 * the hook for a cross-instance revocation fan-out).
 */
@Module({
  imports: [DatabaseModule],
  controllers: [ApiKeysController],
  providers: [
    ApiKeyHasher,
    ApiKeyRepository,
    ApiKeyVerifier,
    ApiKeyFailureLimiter,
    ApiKeyGuard,
    ApiKeysService,
  ],
  exports: [ApiKeyGuard, ApiKeyVerifier],
})
export class ApiKeysModule {}
