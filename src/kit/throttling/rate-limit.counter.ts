import { Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { AppConfig } from '../config/app-config';
import { RedisConnection } from '../redis/redis-connection';
import { FixedWindows, WindowCount } from './fixed-windows';

/**
 * Rate-limit counts, shared by every instance through Redis when `REDIS_URL` is set, so a
 * client cannot multiply its allowance by the number of replicas (RedisConnection.countInWindow).
 * When Redis is not configured, unreachable or slow, the request is counted in process instead
 * by the same fixed-window rule, synchronously: the app keeps limiting (per instance) and
 * keeps serving, and the log says which mode it is in.
 */
@Injectable()
export class RateLimitCounter {
  private readonly windowMs: number;
  private readonly local: FixedWindows;
  private fallingBack = false;

  constructor(
    config: AppConfig,
    private readonly redis: RedisConnection,
    @InjectPinoLogger(RateLimitCounter.name) private readonly logger: PinoLogger,
  ) {
    this.windowMs = config.rateLimit.windowSeconds * 1000;
    this.local = new FixedWindows(this.windowMs);
  }

  /** Counts one request under `key`: a value when counted in process, a promise via Redis. */
  hit(key: string): WindowCount | Promise<WindowCount> {
    const client = this.redis.client();
    return client ? this.shared(client, key) : this.inProcess(key);
  }

  private async shared(client: Redis, key: string): Promise<WindowCount> {
    try {
      const [hits, ttl] = await this.redis.countInWindow(
        client,
        this.redis.key('ratelimit', key),
        this.windowMs,
      );
      if (this.fallingBack) {
        this.fallingBack = false;
        this.logger.info('rate limits are shared through redis again');
      }
      return { hits, resetMs: Math.max(0, ttl) };
    } catch (error) {
      this.redis.reportFailure(error);
      return this.inProcess(key);
    }
  }

  private inProcess(key: string): WindowCount {
    if (this.redis.state !== 'off' && !this.fallingBack) {
      this.fallingBack = true;
      this.logger.warn('rate limits fall back to in-process counting (redis unavailable)');
    }
    return this.local.hit(key);
  }
}
