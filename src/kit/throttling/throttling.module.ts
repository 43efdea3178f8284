import { Module } from '@nestjs/common';
import { RedisModule } from '../redis/redis.module';
import { RateLimitCounter } from './rate-limit.counter';
import { RateLimitGuard } from './rate-limit.guard';

/**
 * Rate limits per client address and route, shared across instances through Redis when it is
 * configured. RateLimitGuard is a global guard, registered in its place by the request
 * pipeline (src/kit/http/request-pipeline.ts).
 */
@Module({
  imports: [RedisModule],
  providers: [RateLimitCounter, RateLimitGuard],
})
export class ThrottlingModule {}
