import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { RedisConnection } from '../redis/redis-connection';

/**
 * Redis readiness. Redis is an optimisation of a scaled-out deployment, not a dependency: when
 * it is down the instance still serves correctly (per-instance limits, revocation bounded by the
 * cache TTL), so readiness stays up and the degraded mode is written to the log on every probe.
 * Security: the public body is `{status}` only (docs/threat-model.md, section 6); the detail is
 * for operators.
 */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly redis: RedisConnection,
    private readonly health: HealthIndicatorService,
    @InjectPinoLogger('RedisHealthIndicator') private readonly logger: PinoLogger,
  ) {}

  check(): HealthIndicatorResult<'redis'> {
    const state = this.redis.state;
    if (state !== 'off' && state !== 'up') {
      this.logger.warn(
        { redis: state, rateLimits: 'in-process', revocationFanout: 'cache-ttl-bound' },
        'readiness: degraded, redis unavailable',
      );
    }
    return this.health.check('redis').up({ state });
  }
}
