import { Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { AppConfig } from '../config/app-config';
import { RedisConnection } from '../redis/redis-connection';

interface Window {
  failures: number;
  readonly resetAt: number;
}

const WINDOW_MS = 60_000;
/** Bounded: a spray from many addresses evicts the oldest windows instead of growing the heap. */
const MAX_ADDRESSES = 50_000;

/** {failures in the window, ms until it ends}: one round trip, read-only. */
const READ_SCRIPT = `return {tonumber(redis.call('GET', KEYS[1]) or '0'), redis.call('PTTL', KEYS[1])}`;
/** INCR, and PEXPIRE on the window's first failure, atomically. */
const RECORD_SCRIPT = `
local failures = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return failures
`;

interface FailureCommands {
  leakproofFailuresRead(key: string): Promise<[number, number]>;
  leakproofFailuresRecord(key: string, windowMs: number): Promise<number>;
}

/**
 * Limits failed API-key verifications per client address (checklist K9, ASVS 6.3.1 analogue,
 * OWASP API4:2023): guessing keys, or hammering the database with well-formed fake ones, stops
 * after `API_KEY_FAILURES_PER_MINUTE` failures until the window ends. Only failures count, so a
 * busy client with a good key is never slowed. Fixed one-minute windows, counted in Redis when
 * it is configured and reachable, so replicas share one allowance (an attacker does not get N
 * times the guesses behind N instances); in process otherwise, never blocking on an outage.
 */
@Injectable()
export class ApiKeyFailureLimiter {
  private readonly limit: number;
  private readonly windows = new LRUCache<string, Window>({ max: MAX_ADDRESSES, ttl: WINDOW_MS });
  private readonly scripted = new WeakSet<Redis>();

  constructor(
    config: AppConfig,
    private readonly redis: RedisConnection,
  ) {
    this.limit = config.apiKeys.failuresPerMinute;
  }

  /** Seconds until this address may try again, or null when it is not blocked. */
  async retryAfterSeconds(address: string): Promise<number | null> {
    const client = this.redis.client();
    if (client) {
      try {
        const [failures, ms] = await this.commands(client).leakproofFailuresRead(this.key(address));
        if (failures < this.limit || ms <= 0) return null;
        return Math.max(1, Math.ceil(ms / 1000));
      } catch (error) {
        this.redis.reportFailure(error);
      }
    }
    const window = this.windows.get(address);
    const now = Date.now();
    if (!window || window.resetAt <= now || window.failures < this.limit) return null;
    return Math.max(1, Math.ceil((window.resetAt - now) / 1000));
  }

  async recordFailure(address: string): Promise<void> {
    const client = this.redis.client();
    if (client) {
      try {
        await this.commands(client).leakproofFailuresRecord(this.key(address), WINDOW_MS);
        return;
      } catch (error) {
        this.redis.reportFailure(error);
      }
    }
    const now = Date.now();
    const window = this.windows.get(address);
    if (!window || window.resetAt <= now) {
      this.windows.set(address, { failures: 1, resetAt: now + WINDOW_MS });
    } else {
      window.failures++;
    }
  }

  private key(address: string): string {
    return this.redis.key('api-key-failures', address);
  }

  private commands(client: Redis): FailureCommands {
    if (!this.scripted.has(client)) {
      // ioredis sends EVALSHA and falls back to EVAL when the server lacks the script.
      client.defineCommand('leakproofFailuresRead', { numberOfKeys: 1, lua: READ_SCRIPT });
      client.defineCommand('leakproofFailuresRecord', { numberOfKeys: 1, lua: RECORD_SCRIPT });
      this.scripted.add(client);
    }
    return client as unknown as FailureCommands;
  }
}
