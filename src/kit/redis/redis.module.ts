import { Module } from '@nestjs/common';
import { RedisConnection } from './redis-connection';

/** The one Redis connection pair of the app, for the modules that share state across instances. */
@Module({
  providers: [RedisConnection],
  exports: [RedisConnection],
})
export class RedisModule {}
