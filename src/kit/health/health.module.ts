import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DatabaseModule } from '../database/database.module';
import { RedisModule } from '../redis/redis.module';
import { RedactionModule } from '../security/redaction.module';
import { DatabaseHealthIndicator } from './database.health';
import { HealthController } from './health.controller';
import { RedisHealthIndicator } from './redis.health';

@Module({
  // Security: terminus would log each failure with its raw error; ours logs it redacted.
  imports: [
    TerminusModule.forRoot({ logger: false }),
    DatabaseModule,
    RedisModule,
    RedactionModule,
  ],
  controllers: [HealthController],
  providers: [DatabaseHealthIndicator, RedisHealthIndicator],
})
export class HealthModule {}
