import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { AppConfig } from '../config/app-config';
import type { ApiKeysTable } from './api-keys.table';
import { ApiKeyFormat } from './api-key-format';
import { ApiKeyHasher } from './api-key.hasher';
import { ApiKeyRepository } from './api-key.repository';

/** Why a key was refused: a closed set, logged with the public id, never sent to the client. */
export type ApiKeyRejectReason =
  | 'malformed'
  | 'bad_checksum'
  | 'wrong_environment'
  | 'unknown'
  | 'mismatch'
  | 'unknown_pepper'
  | 'revoked'
  | 'expired';

export type ApiKeyVerification =
  | { readonly ok: true; readonly publicId: string; readonly scopes: ReadonlySet<string> }
  | { readonly ok: false; readonly reason: ApiKeyRejectReason; readonly publicId: string | null };

type Cached =
  | {
      readonly ok: true;
      readonly publicId: string;
      readonly scopes: ReadonlySet<string>;
      /** Epoch ms, re-checked on every hit: a key can expire while cached. */
      readonly expiresAt: number | null;
    }
  | {
      readonly ok: false;
      readonly publicId: string;
      readonly reason: 'unknown' | 'mismatch' | 'unknown_pepper' | 'revoked' | 'expired';
    };

/**
 * Cached results live this long. It bounds how long a revocation made elsewhere (the CLI,
 * another instance) takes to reach this process; a revocation through this process's admin API
 * evicts at once; with REDIS_URL, ApiKeyRevocationFanout evicts a revocation made through
 * another instance or the CLI within the Redis round trip.
 */
const CACHE_TTL_MS = 10_000;
/** Bounded, so a flood of distinct well-formed keys costs memory up to this and no more. */
const CACHE_MAX_ENTRIES = 10_000;
/** `last_used_at` is written at most once per key per interval, never once per request. */
const LAST_USE_FLUSH_MS = 30_000;
const NO_MATCH = Buffer.alloc(32);

/**
 * Verifies a presented API key (docs/threat-model.md, section 10):
 * 1. format and CRC32 checksum, offline: a typo or forgery never reaches the cache or database;
 * 2. the key's environment must be this deployment's (`live` only in production);
 * 3. the cache (positive and negative results, short TTL, bounded size), keyed by the key's
 *    SHA-256: a key is 190 random bits, so its hash gives nothing away, as the verified-token
 *    cache's does not, and a hit costs no HMAC;
 * 4. on a miss, HMAC with the current pepper, the row by public id, its digest (made with the
 *    row's pepper) compared in constant time; then revocation and expiry.
 * Every failure is one of a closed set of reasons for the log; the client sees one answer.
 */
@Injectable()
export class ApiKeyVerifier implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ApiKeyVerifier.name);
  private readonly cache = new LRUCache<string, Cached>({
    max: CACHE_MAX_ENTRIES,
    ttl: CACHE_TTL_MS,
  });
  /**
   * Bumped by every invalidation. A lookup that started before an invalidation does not cache
   * its result, so a revoke racing with a verification cannot leave a stale "valid" behind.
   */
  private generation = 0;
  /** Public id -> epoch ms of its latest use; turned into ISO text only when flushed. */
  private pendingLastUse = new Map<string, number>();
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly repository: ApiKeyRepository,
    private readonly hasher: ApiKeyHasher,
    private readonly config: AppConfig,
  ) {}

  async verify(presented: string): Promise<ApiKeyVerification> {
    const parsed = ApiKeyFormat.parse(presented);
    if (!parsed.valid) return { ok: false, reason: parsed.reason, publicId: null };
    const { publicId } = parsed;
    if (parsed.environment !== this.config.apiKeys.environment) {
      return { ok: false, reason: 'wrong_environment', publicId };
    }
    const cacheKey = hash('sha256', presented, 'base64url');
    let entry = this.cache.get(cacheKey);
    if (!entry) {
      const digest = this.hasher.digest(presented);
      if (!digest) throw new Error('The current pepper is missing');
      const generation = this.generation;
      entry = await this.lookup(presented, publicId, digest);
      if (generation === this.generation) this.cache.set(cacheKey, entry);
    }
    if (!entry.ok) return { ok: false, reason: entry.reason, publicId };
    if (entry.expiresAt !== null && entry.expiresAt <= Date.now()) {
      return { ok: false, reason: 'expired', publicId };
    }
    this.pendingLastUse.set(publicId, Date.now());
    return { ok: true, publicId, scopes: entry.scopes };
  }

  /**
   * Drops every cached result, positive or negative, for one key. The admin service calls it
   * on revoke and rotate; ApiKeyRevocationFanout (Redis pub/sub) calls it on every instance.
   */
  invalidateByPublicId(publicId: string): void {
    this.generation++;
    for (const [cacheKey, entry] of this.cache.entries()) {
      if (entry.publicId === publicId) this.cache.delete(cacheKey);
    }
  }

  /** Drops every cached result: for a fan-out subscriber that may have missed invalidations. */
  invalidateAll(): void {
    this.generation++;
    this.cache.clear();
  }

  /** Writes the batched last-use times. Runs on a timer and at shutdown; tests call it too. */
  async flushLastUse(): Promise<void> {
    const batch = new Map<string, string>();
    for (const [publicId, at] of this.pendingLastUse) {
      batch.set(publicId, new Date(at).toISOString());
    }
    this.pendingLastUse = new Map();
    try {
      await this.repository.recordLastUse(batch);
    } catch (error) {
      // Last use is bookkeeping: losing one batch must not fail requests. Class name only.
      this.logger.warn({
        event: 'api_key_last_use_flush_failed',
        error: error instanceof Error ? error.name : 'unknown',
      });
    }
  }

  onApplicationBootstrap(): void {
    this.flushTimer = setInterval(() => void this.flushLastUse(), LAST_USE_FLUSH_MS);
    this.flushTimer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.flushTimer);
    await this.flushLastUse();
  }

  private async lookup(presented: string, publicId: string, digest: Buffer): Promise<Cached> {
    const row = await this.repository.find(publicId);
    if (!row) {
      // Same work as the found path's comparison, so "unknown id" is not measurably faster.
      ApiKeyHasher.equal(digest, NO_MATCH);
      return { ok: false, publicId, reason: 'unknown' };
    }
    const current = row.pepper_id === this.hasher.current.id;
    const actual = current ? digest : this.hasher.digest(presented, row.pepper_id);
    if (!actual) return { ok: false, publicId, reason: 'unknown_pepper' };
    if (!ApiKeyHasher.equal(actual, Buffer.from(row.digest, 'hex'))) {
      return { ok: false, publicId, reason: 'mismatch' };
    }
    if (row.revoked_at !== null) return { ok: false, publicId, reason: 'revoked' };
    const expiresAt = row.expires_at === null ? null : Date.parse(row.expires_at);
    if (expiresAt !== null && expiresAt <= Date.now()) {
      return { ok: false, publicId, reason: 'expired' };
    }
    if (!current) await this.repepper(row, digest);
    return {
      ok: true,
      publicId,
      scopes: new Set(row.scopes.split(' ').filter((s) => s.length > 0)),
      expiresAt,
    };
  }

  /**
   * A key that verified with a retired pepper is re-hashed with the current one (as password
   * stores re-hash on login), so a retired pepper can be dropped once no row names it.
   */
  private async repepper(row: ApiKeysTable, digest: Buffer): Promise<void> {
    try {
      await this.repository.updateDigest(
        row.public_id,
        digest.toString('hex'),
        this.hasher.current.id,
      );
    } catch (error) {
      this.logger.warn({
        event: 'api_key_repepper_failed',
        keyId: row.public_id,
        error: error instanceof Error ? error.name : 'unknown',
      });
    }
  }
}
