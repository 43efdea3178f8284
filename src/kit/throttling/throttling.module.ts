import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { getOptionsToken, getStorageToken, ThrottlerModuleOptions } from '@nestjs/throttler';
import { AppConfig } from '../config/app-config';
import { RedisModule } from '../redis/redis.module';
import { RateLimitGuard } from './rate-limit.guard';
import { SharedThrottlerStorage } from './shared-throttler.storage';

/**
 * Rate limits per client address and route, shared across instances through Redis when it is
 * configured. Import it before AuthModule: Nest applies global guards in the order their modules
 * are scanned, and the limiter must run before authentication (test/rate-limit.e2e-spec.ts).
 */
@Module({
  imports: [RedisModule],
  providers: [
    SharedThrottlerStorage,
    { provide: getStorageToken(), useExisting: SharedThrottlerStorage },
    {
      provide: getOptionsToken(),
      inject: [AppConfig],
      useFactory: (config: AppConfig): ThrottlerModuleOptions => ({
        throttlers: [
          {
            name: 'default',
            limit: config.rateLimit.max,
            ttl: config.rateLimit.windowSeconds * 1000,
          },
        ],
      }),
    },
    { provide: APP_GUARD, useClass: RateLimitGuard },
  ],
})
export class ThrottlingModule {}
