import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { AppConfig } from '../config/app-config';

interface Window {
  failures: number;
  readonly resetAt: number;
}

const WINDOW_MS = 60_000;
/** Bounded: a spray from many addresses evicts the oldest windows instead of growing the heap. */
const MAX_ADDRESSES = 50_000;

/**
 * Limits failed API-key verifications per client address (checklist K9, ASVS 6.3.1 analogue,
 * OWASP API4:2023): guessing keys, or hammering the database with well-formed fake ones, stops
 * after `API_KEY_FAILURES_PER_MINUTE` failures until the window ends. Only failures count, so a
 * busy client with a good key is never slowed. In-process, fixed one-minute windows; the
 * shared (Redis) limits of the scale-out issue can replace this class behind the same methods.
 */
@Injectable()
export class ApiKeyFailureLimiter {
  private readonly limit: number;
  private readonly windows = new LRUCache<string, Window>({ max: MAX_ADDRESSES, ttl: WINDOW_MS });

  constructor(config: AppConfig) {
    this.limit = config.apiKeys.failuresPerMinute;
  }

  /** Seconds until this address may try again, or null when it is not blocked. */
  retryAfterSeconds(address: string): number | null {
    const window = this.windows.get(address);
    const now = Date.now();
    if (!window || window.resetAt <= now || window.failures < this.limit) return null;
    return Math.max(1, Math.ceil((window.resetAt - now) / 1000));
  }

  recordFailure(address: string): void {
    const now = Date.now();
    const window = this.windows.get(address);
    if (!window || window.resetAt <= now) {
      this.windows.set(address, { failures: 1, resetAt: now + WINDOW_MS });
    } else {
      window.failures++;
    }
  }
}
