import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import type { Redis } from 'ioredis';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { RedisConnection } from '../redis/redis-connection';
import { LocalThrottlerStorage } from './local-throttler.storage';

/**
 * One fixed-window step, atomic in Redis: INCR the counter, PEXPIRE it on its first hit, and
 * once it passes the limit set a block key for the block duration. KEYS share a hash tag so the
 * script also runs on Redis Cluster. Returns {hits, ms to window end, blocked 0/1, ms of block}.
 */
const INCREMENT_SCRIPT = `
local blockTtl = redis.call('PTTL', KEYS[2])
if blockTtl > 0 then
  return {tonumber(redis.call('GET', KEYS[1]) or '0'), redis.call('PTTL', KEYS[1]), 1, blockTtl}
end
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
if hits > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  return {hits, ttl, 1, tonumber(ARGV[3])}
end
return {hits, ttl, 0, 0}
`;

/** The record the throttler guard reads (the package does not export its name). */
type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

type ThrottleCommand = (
  hitsKey: string,
  blockKey: string,
  ttlMs: number,
  limit: number,
  blockMs: number,
) => Promise<[number, number, number, number]>;

/**
 * Throttler storage shared by every instance through Redis when `REDIS_URL` is set, so a client
 * cannot multiply its allowance by the number of replicas. Thin glue over ioredis: one Lua
 * script. When Redis is not configured, unreachable or slow, the same request is counted
 * in-process instead, by the rules of @nestjs/throttler's own storage at a constant cost
 * (LocalThrottlerStorage): the app keeps limiting (per instance) and keeps serving, and the log
 * says which mode it is in.
 */
@Injectable()
export class SharedThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly local = new LocalThrottlerStorage();
  private readonly scripted = new WeakSet<Redis>();
  private fallingBack = false;

  constructor(
    private readonly redis: RedisConnection,
    @InjectPinoLogger('SharedThrottlerStorage') private readonly logger: PinoLogger,
  ) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const client = this.redis.client();
    if (client) {
      try {
        const tag = this.redis.key('throttle', `{${key}}`);
        const [hits, windowMs, blocked, blockMs] = await this.command(client)(
          `${tag}:hits`,
          `${tag}:block`,
          ttl,
          limit,
          blockDuration,
        );
        if (this.fallingBack) {
          this.fallingBack = false;
          this.logger.info('rate limits are shared through redis again');
        }
        return {
          totalHits: hits,
          timeToExpire: Math.max(0, Math.ceil(windowMs / 1000)),
          isBlocked: blocked === 1,
          timeToBlockExpire: blocked === 1 ? Math.max(1, Math.ceil(blockMs / 1000)) : 0,
        };
      } catch (error) {
        this.redis.reportFailure(error);
      }
    }
    if (this.redis.state !== 'off' && !this.fallingBack) {
      this.fallingBack = true;
      this.logger.warn('rate limits fall back to in-process counting (redis unavailable)');
    }
    return this.local.increment(key, ttl, limit, blockDuration, throttlerName);
  }

  onApplicationShutdown(): void {
    this.local.onApplicationShutdown();
  }

  private command(client: Redis): ThrottleCommand {
    if (!this.scripted.has(client)) {
      // ioredis sends EVALSHA and falls back to EVAL when the server lacks the script.
      client.defineCommand('leakproofThrottle', { numberOfKeys: 2, lua: INCREMENT_SCRIPT });
      this.scripted.add(client);
    }
    const command = (client as unknown as { leakproofThrottle: ThrottleCommand }).leakproofThrottle;
    return command.bind(client);
  }
}
