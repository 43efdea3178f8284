import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Logger } from '@nestjs/common';
import type { PinoLogger } from 'nestjs-pino';
import { AppConfig } from '../config/app-config';
import { RedisConnection } from '../redis/redis-connection';
import { RateLimitCounter } from './rate-limit.counter';

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
