import { Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { AppConfig } from '../config/app-config';
import { RedisConnection } from '../redis/redis-connection';
import { FixedWindows, WindowCount } from './fixed-windows';

/**
 * One fixed-window step, atomic in Redis: INCR the counter and, on its first hit, give it the
 * window's lifetime. Returns {hits, ms to window end}: the rule FixedWindows applies in process.
 */
const INCREMENT_SCRIPT = `
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {hits, ttl}
`;

type IncrementCommand = (key: string, windowMs: number) => Promise<[number, number]>;

/**
 * Rate-limit counts, shared by every instance through Redis when `REDIS_URL` is set, so a
 * client cannot multiply its allowance by the number of replicas: one Lua script over ioredis.
 * When Redis is not configured, unreachable or slow, the request is counted in process instead
 * by the same fixed-window rule, synchronously: the app keeps limiting (per instance) and
 * keeps serving, and the log says which mode it is in.
 */
@Injectable()
export class RateLimitCounter {
  private readonly windowMs: number;
  private readonly local: FixedWindows;
  private readonly scripted = new WeakSet<Redis>();
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
      const [hits, ttl] = await this.command(client)(
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

  private command(client: Redis): IncrementCommand {
    if (!this.scripted.has(client)) {
      // ioredis sends EVALSHA and falls back to EVAL when the server lacks the script.
      client.defineCommand('leakproofRateLimit', { numberOfKeys: 1, lua: INCREMENT_SCRIPT });
      this.scripted.add(client);
    }
    const command = (client as unknown as { leakproofRateLimit: IncrementCommand })
      .leakproofRateLimit;
    return command.bind(client);
  }
}
