import type { ThrottlerStorage } from '@nestjs/throttler';

/** The record the throttler guard reads (the package does not export its name). */
type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

interface Client {
  /** Expiry times (epoch ms) of the live hits, oldest first, from index `head` on. */
  hits: number[];
  head: number;
  expiresAt: number;
  blockExpiresAt: number;
  isBlocked: boolean;
}

/** Idle clients are forgotten this often, as @nestjs/throttler's own storage does. */
const SWEEP_MS = 60_000;
/** Expired hits are cut off the front of the array once this many have gathered. */
const COMPACT_AT = 1024;

/**
 * In-process rate-limit counting with exactly the rules of @nestjs/throttler's
 * ThrottlerStorageService (each hit expires `ttl` after it was counted; over the limit the
 * client is blocked for `blockDuration`), at a constant cost per request.
 *
 * Why: that storage filters the client's whole list of hits into a new array on every request,
 * and without a block duration spreads it into Math.min(), so its cost grows with the hits in the
 * window: a busy client makes every request walk and copy every hit in its window. Hits are
 * counted in time order, so the live ones are a suffix of the list: expired ones are skipped
 * from the front and the oldest live one is the first. local-throttler.storage.spec.ts checks
 * the answers against the original storage, call by call.
 *
 * A wall clock that steps back cannot make a hit expire early: a hit never expires before the
 * one counted just before it (the limit is then, if anything, stricter).
 */
export class LocalThrottlerStorage implements ThrottlerStorage {
  private readonly clients = new Map<string, Client>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly now: () => number = () => Date.now()) {}

  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    this.sweeper ??= setInterval(() => {
      this.sweep();
    }, SWEEP_MS).unref();
    const now = this.now();
    const id = `${throttlerName}\u0000${key}`;
    let client = this.clients.get(id);
    if (!client) {
      client = { hits: [], head: 0, expiresAt: now + ttl, blockExpiresAt: 0, isBlocked: false };
      this.clients.set(id, client);
    }
    LocalThrottlerStorage.prune(client, now);
    let timeToExpire = Math.ceil((client.expiresAt - now) / 1000);
    if (timeToExpire <= 0) {
      client.expiresAt = now + ttl;
      timeToExpire = Math.ceil((client.expiresAt - now) / 1000);
    }
    if (blockDuration <= 0) return Promise.resolve(this.withoutBlock(client, now, ttl, limit));
    if (!client.isBlocked) LocalThrottlerStorage.hit(client, now + ttl);
    if (LocalThrottlerStorage.count(client) > limit && !client.isBlocked) {
      client.isBlocked = true;
      client.blockExpiresAt = now + blockDuration;
    }
    const timeToBlockExpire = Math.ceil((client.blockExpiresAt - now) / 1000);
    if (timeToBlockExpire <= 0 && client.isBlocked) {
      client.isBlocked = false;
      client.hits = [];
      client.head = 0;
      LocalThrottlerStorage.hit(client, now + ttl);
    }
    return Promise.resolve({
      totalHits: LocalThrottlerStorage.count(client),
      timeToExpire,
      isBlocked: client.isBlocked,
      timeToBlockExpire,
    });
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    this.clients.clear();
  }

  /** Forgets clients with no live hit, no running window and no running block. */
  sweep(): void {
    const now = this.now();
    for (const [id, client] of this.clients) {
      if (client.isBlocked && client.blockExpiresAt > now) continue;
      if (client.expiresAt > now) continue;
      LocalThrottlerStorage.prune(client, now);
      if (LocalThrottlerStorage.count(client) > 0) continue;
      this.clients.delete(id);
    }
  }

  get size(): number {
    return this.clients.size;
  }

  private withoutBlock(
    client: Client,
    now: number,
    ttl: number,
    limit: number,
  ): ThrottlerStorageRecord {
    const timeToExpire = Math.ceil((client.expiresAt - now) / 1000);
    const isBlocked = LocalThrottlerStorage.count(client) >= limit;
    if (!isBlocked) LocalThrottlerStorage.hit(client, now + ttl);
    const timeToBlockExpire =
      LocalThrottlerStorage.count(client) > 0
        ? Math.ceil((client.hits[client.head] - now) / 1000)
        : timeToExpire;
    return {
      totalHits: LocalThrottlerStorage.count(client) + (isBlocked ? 1 : 0),
      timeToExpire,
      isBlocked,
      timeToBlockExpire: isBlocked ? timeToBlockExpire : 0,
    };
  }

  private static count(client: Client): number {
    return client.hits.length - client.head;
  }

  private static hit(client: Client, expiresAt: number): void {
    const { hits } = client;
    hits.push(hits.length > 0 ? Math.max(hits[hits.length - 1], expiresAt) : expiresAt);
  }

  private static prune(client: Client, now: number): void {
    const { hits } = client;
    let head = client.head;
    while (head < hits.length && hits[head] <= now) head++;
    if (head >= COMPACT_AT && head * 2 >= hits.length) {
      client.hits = hits.slice(head);
      head = 0;
    }
    client.head = head;
  }
}
