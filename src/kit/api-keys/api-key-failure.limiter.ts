import { Injectable } from '@nestjs/common';
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

/**
 * Limits failed API-key verifications per client address (docs/threat-model.md §10, OWASP
 * API2:2023 and API4:2023, ASVS 6.3.1 analogue): after `API_KEY_FAILURES_PER_MINUTE` failures
 * in a window, every further failure from that address answers 429 with Retry-After instead of
 * 401, until the window ends. Fixed one-minute windows, counted in Redis when it is configured
 * and reachable, so replicas share one allowance (an attacker does not get N times the guesses
 * behind N instances); in process otherwise, never blocking on an outage.
 *
 * Security: only failures are counted and only failures are refused. A key that verifies is
 * served even when its address is over the limit, because many clients can share one address
 * (NAT, a corporate proxy, a CI fleet) and a limit that refused them all would let any one of
 * them lock the others out with twenty bad keys. Guessing stays limited all the same: once the
 * address is over its limit a wrong key gets 429, never 401, so the answer to a guess says
 * nothing beyond "limited" (and a 190-bit secret is out of reach of guessing anyway). The cost
 * of still verifying is bounded: a malformed key or a bad checksum is refused offline, a
 * repeated key comes from the verifier's cache, and a new well-formed key costs one lookup by
 * primary key, the same as any request the general rate limit already allows that address.
 */
@Injectable()
export class ApiKeyFailureLimiter {
  private readonly limit: number;
  private readonly windows = new LRUCache<string, Window>({ max: MAX_ADDRESSES, ttl: WINDOW_MS });

  constructor(
    config: AppConfig,
    private readonly redis: RedisConnection,
  ) {
    this.limit = config.apiKeys.failuresPerMinute;
  }

  /**
   * Counts one failed verification from this address. Returns the seconds until its window
   * ends when the address is now over its limit, or null while it is within it.
   */
  async recordFailure(address: string): Promise<number | null> {
    const client = this.redis.client();
    if (client) {
      try {
        const [failures, ms] = await this.redis.countInWindow(client, this.key(address), WINDOW_MS);
        return this.retryAfter(failures, ms);
      } catch (error) {
        this.redis.reportFailure(error);
      }
    }
    const now = Date.now();
    let window = this.windows.get(address);
    if (!window || window.resetAt <= now) {
      window = { failures: 0, resetAt: now + WINDOW_MS };
      this.windows.set(address, window);
    }
    window.failures++;
    return this.retryAfter(window.failures, window.resetAt - now);
  }

  private retryAfter(failures: number, msLeft: number): number | null {
    if (failures <= this.limit) return null;
    return Math.max(1, Math.ceil(msLeft / 1000));
  }

  private key(address: string): string {
    return this.redis.key('api-key-failures', address);
  }
}
