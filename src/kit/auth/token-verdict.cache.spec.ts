import { TokenVerdictCache } from './token-verdict.cache';

/** A wall clock and a monotonic clock the test moves by hand (milliseconds). */
class Clocks {
  wall = Date.UTC(2030, 0, 1);
  mono = 1_000;

  advance(ms: number): void {
    this.wall += ms;
    this.mono += ms;
  }
}

const seconds = (ms: number): number => Math.floor(ms / 1000);

describe('TokenVerdictCache', () => {
  let clocks: Clocks;
  let cache: TokenVerdictCache;

  beforeEach(() => {
    clocks = new Clocks();
    cache = new TokenVerdictCache({
      maxEntries: 3,
      maxFailures: 2,
      maxTtlMs: 60_000,
      failureTtlMs: 5_000,
      clockToleranceSeconds: 30,
      now: () => clocks.wall,
      monotonicNow: () => clocks.mono,
    });
  });

  const payload = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
    sub: 'alice',
    iat: seconds(clocks.wall),
    exp: seconds(clocks.wall) + 600,
    ...overrides,
  });

  it('when a token was verified, its digest finds the same payload', () => {
    const digest = TokenVerdictCache.digest('header.payload.signature');
    const claims = payload();
    cache.rememberVerified(digest, claims);
    expect(cache.lookup(digest)).toEqual({ verified: claims });
  });

  it('when a token differs in one character, it misses', () => {
    const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl';
    cache.rememberVerified(TokenVerdictCache.digest(token), payload());
    for (let i = 0; i < token.length; i++) {
      const changed = `${token.slice(0, i)}${token[i] === 'A' ? 'B' : 'A'}${token.slice(i + 1)}`;
      expect(cache.lookup(TokenVerdictCache.digest(changed))).toBeUndefined();
    }
    expect(cache.lookup(TokenVerdictCache.digest(`${token}A`))).toBeUndefined();
  });

  it('when the digest is computed, it is not the token and has a fixed length', () => {
    const token = 'a'.repeat(5000);
    const digest = TokenVerdictCache.digest(token);
    expect(digest).not.toContain('aaaa');
    expect(digest).toHaveLength(43);
  });

  it('when exp comes before the maximum lifetime, the entry ends at exp', () => {
    const digest = TokenVerdictCache.digest('t');
    cache.rememberVerified(digest, payload({ exp: seconds(clocks.wall) + 20 }));
    clocks.advance(20_000);
    expect(cache.lookup(digest)).toBeDefined();
    clocks.advance(1);
    expect(cache.lookup(digest)).toBeUndefined();
  });

  it('when exp is far away, the entry ends at the maximum lifetime', () => {
    const digest = TokenVerdictCache.digest('t');
    cache.rememberVerified(digest, payload());
    clocks.advance(60_000);
    expect(cache.lookup(digest)).toBeDefined();
    clocks.advance(1);
    expect(cache.lookup(digest)).toBeUndefined();
  });

  it('when the wall clock passes exp + tolerance while the entry lives, the hit is refused and dropped', () => {
    const digest = TokenVerdictCache.digest('t');
    cache.rememberVerified(digest, payload());
    clocks.wall += 630_000;
    expect(cache.lookup(digest)).toBeUndefined();
    clocks.wall -= 630_000;
    expect(cache.lookup(digest)).toBeUndefined();
  });

  it('when the wall clock moves back before nbf - tolerance, the hit is refused', () => {
    const digest = TokenVerdictCache.digest('t');
    cache.rememberVerified(digest, payload({ nbf: seconds(clocks.wall) }));
    expect(cache.lookup(digest)).toBeDefined();
    clocks.wall -= 31_000;
    expect(cache.lookup(digest)).toBeUndefined();
  });

  it.each([
    ['absent', undefined],
    ['a string', '9999999999'],
    ['already past', 1],
  ])('when exp is %s, nothing is cached', (_name, exp) => {
    const digest = TokenVerdictCache.digest('t');
    cache.rememberVerified(digest, payload({ exp }));
    expect(cache.lookup(digest)).toBeUndefined();
  });

  it('when exp is one millisecond away it is cached; when it passed within the tolerance, nothing is stored', () => {
    const soon = TokenVerdictCache.digest('soon');
    clocks.wall = Date.UTC(2030, 0, 1, 0, 0, 10) - 1;
    cache.rememberVerified(soon, payload({ exp: seconds(clocks.wall) + 1 }));
    expect(cache.lookup(soon)).toBeDefined();
    const past = TokenVerdictCache.digest('past');
    cache.rememberVerified(past, payload({ exp: seconds(clocks.wall) - 10 }));
    expect(cache.size.verified).toBe(1);
    expect(cache.lookup(past)).toBeUndefined();
  });

  it('when nbf is exactly the clock plus the tolerance, the hit is served', () => {
    const digest = TokenVerdictCache.digest('t');
    cache.rememberVerified(digest, payload({ nbf: seconds(clocks.wall) + 30 }));
    expect(cache.lookup(digest)).toBeDefined();
    cache.rememberVerified(digest, payload({ nbf: seconds(clocks.wall) + 31 }));
    expect(cache.lookup(digest)).toBeUndefined();
  });

  it('when a payload is cached, later code cannot change what the next hit reads', () => {
    const digest = TokenVerdictCache.digest('t');
    cache.rememberVerified(digest, payload({ aud: ['api'], scope: 'items:read' }));
    const hit = cache.lookup(digest);
    const claims = (hit && 'verified' in hit ? hit.verified : {}) as Record<string, unknown>;
    expect(() => {
      claims.scope = 'admin';
    }).toThrow(TypeError);
    expect(() => (claims.aud as string[]).push('other')).toThrow(TypeError);
  });

  it('when a token was rejected, the rejection holds only for the failure window', () => {
    const digest = TokenVerdictCache.digest('forged');
    cache.rememberRejected(digest, 'bad_signature');
    expect(cache.lookup(digest)).toEqual({ rejected: 'bad_signature' });
    clocks.advance(5_000);
    expect(cache.lookup(digest)).toBeDefined();
    clocks.advance(1);
    expect(cache.lookup(digest)).toBeUndefined();
  });

  it('when more tokens arrive than the bounds allow, the oldest go and the sizes stay bounded', () => {
    const digests = ['a', 'b', 'c', 'd'].map((t) => TokenVerdictCache.digest(t));
    for (const d of digests) cache.rememberVerified(d, payload());
    expect(cache.lookup(digests[0])).toBeUndefined();
    expect(cache.lookup(digests[3])).toBeDefined();
    for (let i = 0; i < 10; i++)
      cache.rememberRejected(TokenVerdictCache.digest(`x${i}`), 'bad_signature');
    expect(cache.size).toEqual({ verified: 3, rejected: 2 });
  });

  it('when forged tokens flood the rejection map, verified entries stay', () => {
    const good = TokenVerdictCache.digest('good');
    cache.rememberVerified(good, payload());
    for (let i = 0; i < 100; i++)
      cache.rememberRejected(TokenVerdictCache.digest(`f${i}`), 'bad_signature');
    expect(cache.lookup(good)).toBeDefined();
  });
});
