import { Redis } from 'ioredis';
import { freePort } from './support/app-process';
import { logCapture } from './support/log-capture';
import { OwnRedis } from './support/own-redis';
import { startTestApp } from './support/test-app';
import { TokenFactory } from './support/tokens';

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms);
  });

/** Clients of the Redis server other than `probe` itself. */
async function otherClients(probe: Redis): Promise<number> {
  const list = (await probe.client('LIST')) as string;
  return list.split('\n').filter((line) => line.length > 0).length - 1;
}

/**
 * A test app that fails to start must not leave what it opened behind: a Redis connection that
 * ioredis keeps alive, a pool, timers. Those keep Jest running after the suite, and the next
 * test sees their traffic.
 */
describe('startTestApp', () => {
  const tokens = new TokenFactory();

  it('when the app fails to start, it rejects and closes the connections the app had opened', async () => {
    const redis = new OwnRedis(await freePort());
    await redis.start();
    const probe = new Redis(redis.url, { lazyConnect: true });
    try {
      logCapture.clear();
      // Nothing listens on this port: the migration at init fails, after Redis was dialled.
      const unreachable = `postgres://postgres@127.0.0.1:${await freePort()}/none`;
      await expect(
        startTestApp({ ...tokens.env(), REDIS_URL: redis.url, DATABASE_URL: unreachable }),
      ).rejects.toThrow('Database migration failed');

      await probe.connect();
      const closed = () => logCapture.lines().some((l) => l.msg === 'redis connections closed');
      let others = await otherClients(probe);
      for (let i = 0; i < 100 && (others > 0 || !closed()); i++) {
        await sleep(50);
        others = await otherClients(probe);
      }
      expect(closed()).toBe(true);
      expect(others).toBe(0);
    } finally {
      probe.disconnect();
      await redis.stop();
    }
  }, 60_000);
});
