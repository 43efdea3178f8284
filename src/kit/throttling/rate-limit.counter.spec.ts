import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Logger } from '@nestjs/common';
import type { PinoLogger } from 'nestjs-pino';
import { AppConfig } from '../config/app-config';
import { RedisConnection } from '../redis/redis-connection';
import { FixedWindows, RateLimitCounter } from './rate-limit.counter';

describe('FixedWindows', () => {
  const WINDOW = 10_000;
  let clock: number;
  let windows: FixedWindows;

  beforeEach(() => {
    clock = Date.UTC(2030, 0, 1);
    windows = new FixedWindows(WINDOW, () => clock);
  });

  it('when a key is hit within its window, the count rises and the time left shrinks', () => {
    expect(windows.hit('a')).toEqual({ hits: 1, resetMs: WINDOW });
    clock += 2500;
    expect(windows.hit('a')).toEqual({ hits: 2, resetMs: WINDOW - 2500 });
    clock += WINDOW - 2501;
    expect(windows.hit('a')).toEqual({ hits: 3, resetMs: 1 });
  });

  it('when its window has ended, to the millisecond, the count starts again from one', () => {
    windows.hit('a');
    windows.hit('a');
    clock += WINDOW;
    expect(windows.hit('a')).toEqual({ hits: 1, resetMs: WINDOW });
  });

  it('when two keys are hit, each has its own count and window', () => {
    windows.hit('a');
    clock += 4000;
    expect(windows.hit('b')).toEqual({ hits: 1, resetMs: WINDOW });
    expect(windows.hit('a')).toEqual({ hits: 2, resetMs: WINDOW - 4000 });
  });

  it('when a window has passed since the last sweep, keys whose window ended are forgotten', () => {
    windows.hit('old');
    clock += 5000;
    windows.hit('recent');
    clock += WINDOW - 5000 - 1;
    windows.hit('x');
    // The sweep is not due yet: the ended window of `old` is still held.
    expect(windows.size).toBe(3);
    clock += 1;
    windows.hit('x');
    // Due: `old` ended exactly now and goes; `recent` and `x` are still running.
    expect(windows.size).toBe(2);
    expect(windows.hit('recent')).toEqual({ hits: 2, resetMs: 5000 });
  });

  it('when many clients come and go, the held keys stay bounded by two windows of clients', () => {
    for (let i = 0; i < 10_000; i++) {
      windows.hit(`client-${String(i)}`);
      clock += 10;
    }
    // 100 keys per second of window; a sweep runs once per window.
    expect(windows.size).toBeLessThanOrEqual(2 * (WINDOW / 10));
  });
});

describe('RateLimitCounter', () => {
  // RedisConnection reports its state through Nest's logger, which prints to the console here.
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  const configWith = (env: Record<string, string>): AppConfig =>
    AppConfig.fromEnv({
      NODE_ENV: 'test',
      JWT_SECRET: randomBytes(32).toString('base64url'),
      RATE_LIMIT_WINDOW_SECONDS: '7',
      ...env,
    });

  /** The log lines the counter writes, by level. */
  const recorder = (): { lines: string[]; logger: PinoLogger } => {
    const lines: string[] = [];
    const logger = {
      info: (msg: string) => lines.push(`info ${msg}`),
      warn: (msg: string) => lines.push(`warn ${msg}`),
    } as unknown as PinoLogger;
    return { lines, logger };
  };

  it('when Redis is not configured, it counts in process, synchronously, in the configured window, and logs nothing', () => {
    const config = configWith({});
    const { lines, logger } = recorder();
    const counter = new RateLimitCounter(config, new RedisConnection(config), logger);
    const first = counter.hit('k');
    expect(first).not.toBeInstanceOf(Promise);
    expect(first).toEqual({ hits: 1, resetMs: 7000 });
    expect(counter.hit('k')).toMatchObject({ hits: 2 });
    expect(counter.hit('other')).toMatchObject({ hits: 1 });
    expect(lines).toEqual([]);
  });

  it('when Redis is configured but not reachable, it counts in process and says so once', async () => {
    // A port that was just free: nothing listens on it.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    const config = configWith({ REDIS_URL: `redis://127.0.0.1:${String(port)}/0` });
    const redis = new RedisConnection(config);
    const { lines, logger } = recorder();
    try {
      const counter = new RateLimitCounter(config, redis, logger);
      expect(counter.hit('k')).toEqual({ hits: 1, resetMs: 7000 });
      expect(counter.hit('k')).toMatchObject({ hits: 2 });
      expect(lines).toEqual([
        'warn rate limits fall back to in-process counting (redis unavailable)',
      ]);
    } finally {
      await redis.onApplicationShutdown();
    }
  });
});
