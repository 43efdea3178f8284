import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { TokenRejectReason } from './token-rejected.error';

export interface VerifiedTokenCacheOptions {
  /** Most tokens remembered as verified; the oldest is dropped first. */
  maxEntries: number;
  /** Most tokens remembered as rejected, kept apart so a flood of bad tokens evicts no good one. */
  maxFailures: number;
  /** No entry lives longer than this, whatever the token's `exp`. */
  maxTtlMs: number;
  /** How long a rejection is remembered. */
  failureTtlMs: number;
  /** The verifier's tolerance for `exp` and `nbf`, in seconds (same value as jsonwebtoken's). */
  clockToleranceSeconds: number;
  /** Wall clock (ms) for the claim checks, and monotonic clock (ms) for entry lifetimes: tests move them. */
  now?: () => number;
  monotonicNow?: () => number;
}

export type CachedVerdict =
  | { readonly verified: Readonly<Record<string, unknown>> }
  | { readonly rejected: TokenRejectReason };

/**
 * Remembers the outcome of verifying a JWT's signature and its `iss`/`aud`/`alg`, so a client
 * that sends the same token again does not pay for another signature check, the largest cost
 * of a JWT request. What is remembered and for how long is the security
 * question; each answer below is tested in verified-token.cache.spec.ts and
 * test/token-verdict-cache.e2e-spec.ts.
 *
 * Security:
 * - The key is the SHA-256 digest of the exact token string: a token that differs in any byte
 *   (header, payload or signature) misses and is verified in full; finding another token with
 *   the same digest is a SHA-256 second preimage. The token itself is never kept, so a heap
 *   snapshot of the cache yields nothing a client could replay (ASVS 11.7.1: credentials only in
 *   memory as long as needed).
 * - A verified entry lives until the token's `exp` at the latest, and never beyond `maxTtlMs`;
 *   a payload without a numeric `exp` is not cached at all (it is rejected later anyway).
 * - On every hit `exp` and `nbf` are checked again, with jsonwebtoken's own rule and tolerance,
 *   so a wall clock that moved cannot revive an expired token; a failed re-check drops the
 *   entry and the token is verified in full. The strategy's own claim checks (`sub`, future
 *   `iat`, lifetime, scope type) run on every request, hit or miss (RFC 8725 §3.10, RFC 9068 §4).
 * - A rejection is remembered for `failureTtlMs` only (a token that was not yet valid, or a key
 *   that rotated in, gets a fresh verdict seconds later), in its own bounded map.
 * - Both maps are bounded (lru-cache), so neither valid nor forged tokens can grow memory.
 * - Entry lifetimes run on a monotonic clock: moving the wall clock does not extend them.
 * - A cached payload is frozen: nothing downstream can alter what later hits read.
 */
export class TokenVerdictCache {
  private readonly verified: LRUCache<string, Readonly<Record<string, unknown>>>;
  private readonly rejected: LRUCache<string, TokenRejectReason>;
  private readonly now: () => number;

  constructor(private readonly options: VerifiedTokenCacheOptions) {
    this.now = options.now ?? (() => Date.now());
    // ttlResolution 0: every lookup reads the clock, so no entry outlives its TTL by a tick.
    const clock = {
      ttlResolution: 0,
      ...(options.monotonicNow ? { perf: { now: options.monotonicNow } } : {}),
    };
    this.verified = new LRUCache({ max: options.maxEntries, ttl: options.maxTtlMs, ...clock });
    this.rejected = new LRUCache({ max: options.maxFailures, ttl: options.failureTtlMs, ...clock });
  }

  /** The lookup key of a token: its SHA-256 digest, never the token. */
  static digest(token: string): string {
    return hash('sha256', token, 'base64url');
  }

  /** The remembered verdict for this digest, if any and still valid now. */
  lookup(digest: string): CachedVerdict | undefined {
    const payload = this.verified.get(digest);
    if (payload !== undefined) {
      if (this.timeClaimsHold(payload)) return { verified: payload };
      this.verified.delete(digest);
      return undefined;
    }
    const reason = this.rejected.get(digest);
    return reason === undefined ? undefined : { rejected: reason };
  }

  /** Remembers a payload whose signature, `alg`, `iss`, `aud`, `exp` and `nbf` just verified. */
  rememberVerified(digest: string, payload: Record<string, unknown>): void {
    const exp = payload.exp;
    if (typeof exp !== 'number' || !Number.isFinite(exp)) return;
    const ttl = Math.min(exp * 1000 - this.now(), this.options.maxTtlMs);
    if (ttl < 1) return;
    this.verified.set(digest, TokenVerdictCache.freeze(payload), { ttl: Math.floor(ttl) });
  }

  rememberRejected(digest: string, reason: TokenRejectReason): void {
    this.rejected.set(digest, reason);
  }

  get size(): { verified: number; rejected: number } {
    return { verified: this.verified.size, rejected: this.rejected.size };
  }

  /** jsonwebtoken's own `exp` and `nbf` comparisons (verify.js), in whole seconds, same tolerance. */
  private timeClaimsHold(payload: Readonly<Record<string, unknown>>): boolean {
    const clock = Math.floor(this.now() / 1000);
    const tolerance = this.options.clockToleranceSeconds;
    const { exp, nbf } = payload;
    if (typeof exp !== 'number' || clock >= exp + tolerance) return false;
    if (nbf !== undefined && (typeof nbf !== 'number' || nbf > clock + tolerance)) return false;
    return true;
  }

  private static freeze<T>(value: T): T {
    if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
      for (const child of Object.values(value)) TokenVerdictCache.freeze(child);
      Object.freeze(value);
    }
    return value;
  }
}
