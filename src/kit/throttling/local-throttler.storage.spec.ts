import { ThrottlerStorageService } from '@nestjs/throttler';
import { LocalThrottlerStorage } from './local-throttler.storage';

/** A small deterministic generator, so a failing sequence can be replayed. */
class Steps {
  constructor(private seed: number) {}

  next(max: number): number {
    this.seed = (this.seed * 1103515245 + 12345) % 2 ** 31;
    return this.seed % max;
  }
}

describe('LocalThrottlerStorage', () => {
  let clock: number;

  beforeEach(() => {
    clock = Date.UTC(2030, 0, 1);
    jest.spyOn(Date, 'now').mockImplementation(() => clock);
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  it.each([
    ['with a block duration', 1000, 3, 1000],
    ['with a longer block', 2000, 5, 7000],
    ['without a block duration', 1000, 4, 0],
  ])(
    'when driven like the original storage (%s), every answer is the same',
    async (_name, ttl, limit, block) => {
      const original = new ThrottlerStorageService();
      const local = new LocalThrottlerStorage();
      const steps = new Steps(ttl + limit + block);
      try {
        for (let i = 0; i < 3000; i++) {
          clock += steps.next(4) === 0 ? steps.next(1500) : steps.next(40);
          const key = `client-${steps.next(3)}`;
          expect([i, await local.increment(key, ttl, limit, block, 'default')]).toEqual([
            i,
            await original.increment(key, ttl, limit, block, 'default'),
          ]);
        }
      } finally {
        original.onApplicationShutdown();
        local.onApplicationShutdown();
      }
    },
  );

  it('when a client exceeds the limit, it is blocked for the block duration, then counted afresh', async () => {
    const local = new LocalThrottlerStorage();
    const hit = () => local.increment('k', 1000, 2, 5000, 'default');
    expect((await hit()).isBlocked).toBe(false);
    expect((await hit()).isBlocked).toBe(false);
    expect(await hit()).toMatchObject({ isBlocked: true, timeToBlockExpire: 5 });
    clock += 4000;
    expect(await hit()).toMatchObject({ isBlocked: true, timeToBlockExpire: 1 });
    clock += 1000;
    expect(await hit()).toMatchObject({ isBlocked: false, totalHits: 1 });
    local.onApplicationShutdown();
  });

  it('when hits are many, only the live ones count (expired ones are dropped from the front)', async () => {
    const local = new LocalThrottlerStorage();
    for (let i = 0; i < 20_000; i++) {
      clock += 1;
      await local.increment('busy', 1000, 1_000_000, 1000, 'default');
    }
    // Live: the 1,000 counted in the last second, plus this one.
    expect((await local.increment('busy', 1000, 1_000_000, 1000, 'default')).totalHits).toBe(1001);
    local.onApplicationShutdown();
  });

  it('when the wall clock steps back, no hit expires earlier than one counted before it', async () => {
    const local = new LocalThrottlerStorage();
    await local.increment('k', 1000, 10, 1000, 'default');
    clock -= 500;
    await local.increment('k', 1000, 10, 1000, 'default');
    clock += 1000;
    // The second hit keeps the first one's expiry, so both still count, plus this one.
    expect((await local.increment('k', 1000, 10, 1000, 'default')).totalHits).toBe(3);
    local.onApplicationShutdown();
  });

  it('when clients go quiet, the sweep forgets them and keeps blocked ones', async () => {
    const local = new LocalThrottlerStorage();
    await local.increment('quiet', 1000, 10, 1000, 'default');
    for (let i = 0; i < 3; i++) await local.increment('blocked', 1000, 1, 60_000, 'default');
    clock += 2000;
    local.sweep();
    expect(local.size).toBe(1);
    local.onApplicationShutdown();
  });
});
