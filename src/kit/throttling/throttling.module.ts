import { Module } from '@nestjs/common';
import { getOptionsToken, getStorageToken, ThrottlerModuleOptions } from '@nestjs/throttler';
import { AppConfig } from '../config/app-config';
import { RedisModule } from '../redis/redis.module';
import { RateLimitGuard } from './rate-limit.guard';
import { SharedThrottlerStorage } from './shared-throttler.storage';

/**
 * Rate limits per client address and route, shared across instances through Redis when it is
 * configured. RateLimitGuard is a global guard, registered in its place by the request
 * pipeline (src/kit/http/request-pipeline.ts).
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
    RateLimitGuard,
  ],
})
export class ThrottlingModule {}
