import type { Redis } from 'ioredis';
import type { AppConfig } from '../config/app-config';
import type { RedisConnection } from '../redis/redis-connection';
import { ApiKeyFailureLimiter } from './api-key-failure.limiter';

const LIMIT = 3;
const WINDOW_MS = 60_000;
const config = { apiKeys: { failuresPerMinute: LIMIT } } as AppConfig;

type CountCommand = (key: string, windowMs: number) => Promise<[number, number]>;

/**
 * RedisConnection's surface for the limiter: a client when `client` is set, the shared
 * fixed-window count (answered by `count`), failure reports, key names. The count itself runs
 * against real Redis in test/rate-limit.e2e-spec.ts (npm run test:integration).
 */
function connection(
  client: Redis | null,
  count: CountCommand = () => Promise.reject(new Error('no Redis')),
): { redis: RedisConnection; reportFailure: jest.Mock; countInWindow: jest.Mock } {
  const reportFailure = jest.fn();
  const countInWindow = jest.fn((_client: Redis, key: string, windowMs: number) =>
    count(key, windowMs),
  );
  const redis = {
    client: () => client,
    reportFailure,
    countInWindow,
    key: (...parts: string[]) => ['lp', ...parts].join(':'),
  } as unknown as RedisConnection;
  return { redis, reportFailure, countInWindow };
}

/** A client handle: the limiter only passes it back to countInWindow. */
const client = {} as Redis;

describe('ApiKeyFailureLimiter in process (no Redis)', () => {
  let now: number;
  beforeEach(() => {
    now = 1_700_000_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
  });
  afterEach(() => jest.restoreAllMocks());

  const limiter = (): { limiter: ApiKeyFailureLimiter; reportFailure: jest.Mock } => {
    const { redis, reportFailure } = connection(null);
    return { limiter: new ApiKeyFailureLimiter(config, redis), reportFailure };
  };

  it('when an address reaches its limit it is not limited; the next failure is, for the window', async () => {
    const { limiter: l, reportFailure } = limiter();
    for (let i = 0; i < LIMIT; i++) await expect(l.recordFailure('10.0.0.1')).resolves.toBeNull();
    await expect(l.recordFailure('10.0.0.1')).resolves.toBe(60);
    expect(reportFailure).not.toHaveBeenCalled();
  });

  it('when time passes within the window, Retry-After counts down in whole seconds, rounded up', async () => {
    const { limiter: l } = limiter();
    for (let i = 0; i < LIMIT; i++) await l.recordFailure('10.0.0.1');
    now += 1_500;
    await expect(l.recordFailure('10.0.0.1')).resolves.toBe(59);
    now += WINDOW_MS - 1_500 - 1;
    await expect(l.recordFailure('10.0.0.1')).resolves.toBe(1);
  });

  it('when the window has ended, to the millisecond, the count starts again', async () => {
    const { limiter: l } = limiter();
    for (let i = 0; i <= LIMIT; i++) await l.recordFailure('10.0.0.1');
    now += WINDOW_MS;
    for (let i = 0; i < LIMIT; i++) await expect(l.recordFailure('10.0.0.1')).resolves.toBeNull();
    await expect(l.recordFailure('10.0.0.1')).resolves.toBe(60);
  });

  it('when one address is over its limit, another address is not', async () => {
    const { limiter: l } = limiter();
    for (let i = 0; i <= LIMIT; i++) await l.recordFailure('10.0.0.1');
    await expect(l.recordFailure('10.0.0.2')).resolves.toBeNull();
    await expect(l.recordFailure('10.0.0.1')).resolves.toBe(60);
  });
});

describe('ApiKeyFailureLimiter with Redis', () => {
  it('when Redis counts, each failure is one shared count under the namespaced key and window', async () => {
    const { redis, reportFailure, countInWindow } = connection(client, () =>
      Promise.resolve([1, WINDOW_MS]),
    );
    const limiter = new ApiKeyFailureLimiter(config, redis);
    await expect(limiter.recordFailure('10.0.0.1')).resolves.toBeNull();
    await expect(limiter.recordFailure('10.0.0.2')).resolves.toBeNull();
    expect(countInWindow.mock.calls).toEqual([
      [client, 'lp:api-key-failures:10.0.0.1', WINDOW_MS],
      [client, 'lp:api-key-failures:10.0.0.2', WINDOW_MS],
    ]);
    expect(reportFailure).not.toHaveBeenCalled();
  });

  it.each([
    [LIMIT, 30_000, null],
    [LIMIT + 1, 30_000, 30],
    [LIMIT + 1, 1_500, 2],
    [LIMIT + 1, 1, 1],
    [LIMIT + 1, 0, 1],
  ])(
    'when Redis answers %s failures with %s ms left, the answer is %s',
    async (failures, ms, answer) => {
      const { redis } = connection(client, () => Promise.resolve([failures, ms]));
      const limiter = new ApiKeyFailureLimiter(config, redis);
      await expect(limiter.recordFailure('10.0.0.1')).resolves.toBe(answer);
    },
  );

  it('when the Redis command fails, the failure is reported and the count is kept in process', async () => {
    const outage = new Error('ECONNRESET');
    const { redis, reportFailure, countInWindow } = connection(client, () =>
      Promise.reject(outage),
    );
    const limiter = new ApiKeyFailureLimiter(config, redis);
    for (let i = 0; i < LIMIT; i++)
      await expect(limiter.recordFailure('10.0.0.1')).resolves.toBeNull();
    await expect(limiter.recordFailure('10.0.0.1')).resolves.toBeGreaterThanOrEqual(59);
    expect(countInWindow).toHaveBeenCalledTimes(LIMIT + 1);
    expect(reportFailure).toHaveBeenCalledTimes(LIMIT + 1);
    expect(reportFailure).toHaveBeenCalledWith(outage);
  });
});
