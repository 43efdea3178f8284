import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { closeStarted } from './support/cleanup';
import { logCapture } from './support/log-capture';
import { startTestApp, TestApp } from './support/test-app';
import { freePort } from './support/app-process';
import { OwnRedis } from './support/own-redis';
import { FixtureTokens } from './support/fixture/fixture-tokens';
import { FixtureModule } from './support/fixture/fixture.module';
import { describeWith } from './support/integration-services';

function expectTooManyRequests(res: request.Response): void {
  expect(res.status).toBe(429);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  const { requestId, ...rest } = res.body as { requestId: unknown };
  expect(typeof requestId).toBe('string');
  expect(rest).toEqual({ type: 'about:blank', title: 'Too Many Requests', status: 429 });
  expect(res.text).not.toMatch(/Throttler/i);
}

describe('RateLimitGuard', () => {
  const tokens = new FixtureTokens();
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp(
      {
        ...tokens.env(),
        RATE_LIMIT_MAX: '3',
        RATE_LIMIT_WINDOW_SECONDS: '60',
      },
      [FixtureModule],
    );
  });
  afterAll(() => closeStarted(app));

  it('when a client stays within the limit, the route answers and the limit headers count down', async () => {
    const res = await request(app.url).get('/health/live');
    expect(res.status).toBe(200);
    expect(res.headers['x-ratelimit-limit']).toBe('3');
    expect(res.headers['x-ratelimit-remaining']).toBe('2');
  });

  it('when anonymous requests exceed the limit, the next is 429 before authentication runs', async () => {
    // Authentication would answer 401 to every one of these; a 429 means the limiter ran first.
    for (let i = 0; i < 3; i++) {
      const res = await request(app.url).get('/fixture/widgets');
      expect(res.status).toBe(401);
    }
    logCapture.clear();
    expectTooManyRequests(await request(app.url).get('/fixture/widgets'));
    const events = logCapture.failures();
    expect(events.map((e) => [e.status, e.reason])).toEqual([[429, 'rate_limited']]);
  });

  it('when the limit is exhausted, a valid token is refused too, and another route still answers', async () => {
    const token = tokens.rs256();
    const res = await request(app.url)
      .get('/fixture/widgets')
      .set('Authorization', `Bearer ${token}`);
    expectTooManyRequests(res);
    expect(JSON.stringify(res.headers) + res.text).not.toContain(token);
    expect((await request(app.url).get('/health/ready')).status).toBe(200);
  });
});

describe('RateLimitGuard client address', () => {
  const tokens = new FixtureTokens();

  it.each([
    ['0', 'a client cannot escape its limit by sending X-Forwarded-For', 429],
    ['1', 'clients behind the one trusted proxy are counted apart', 200],
  ])('when TRUST_PROXY_HOPS=%s, %s', async (hops, _case, second) => {
    const app = await startTestApp(
      {
        ...tokens.env(),
        RATE_LIMIT_MAX: '1',
        TRUST_PROXY_HOPS: hops,
      },
      [FixtureModule],
    );
    try {
      const from = (ip: string) => request(app.url).get('/health/live').set('X-Forwarded-For', ip);
      expect((await from('192.0.2.10')).status).toBe(200);
      expect((await from('192.0.2.20')).status).toBe(second);
    } finally {
      await app.close();
    }
  });
});

describe('RateLimitCounter when Redis is unreachable', () => {
  const tokens = new FixtureTokens();
  const password = `redispw${randomBytes(10).toString('hex')}`;
  let app: TestApp;
  let redisUrl: string;

  beforeAll(async () => {
    logCapture.clear();
    redisUrl = `redis://:${password}@127.0.0.1:${await freePort()}/0`;
    app = await startTestApp({ ...tokens.env(), REDIS_URL: redisUrl, RATE_LIMIT_MAX: '2' }, [
      FixtureModule,
    ]);
  });
  afterAll(() => closeStarted(app));

  it('when it starts, it serves, limits in-process, and says so in the log without the URL', async () => {
    expect((await request(app.url).get('/health/live')).status).toBe(200);
    expect((await request(app.url).get('/health/live')).status).toBe(200);
    expectTooManyRequests(await request(app.url).get('/health/live'));
    const log = logCapture.text();
    expect(log).toContain('redis unavailable');
    expect(log).toContain('rate limits fall back to in-process counting');
    expect(log).not.toContain(password);
    expect(log).not.toContain(redisUrl);
  });

  it('when readiness is asked, the body is only the status and the degraded detail is in the log', async () => {
    logCapture.clear();
    const res = await request(app.url).get('/health/ready');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
    const detail = logCapture
      .lines()
      .find((l) => l.msg === 'readiness: degraded, redis unavailable');
    expect(detail).toMatchObject({ redis: 'down', rateLimits: 'in-process' });
    expect(logCapture.text()).not.toContain(password);
  });
});

/** Real Redis: the integration run sets TEST_REDIS_URL (`npm run test:integration`). */
describeWith('TEST_REDIS_URL', 'RateLimitCounter with Redis', () => {
  const tokens = new FixtureTokens();

  it('when two instances share Redis, one limit covers both', async () => {
    const shared = {
      ...tokens.env(),
      REDIS_URL: process.env.TEST_REDIS_URL,
      REDIS_KEY_PREFIX: `lp-test-${randomBytes(6).toString('hex')}`,
      RATE_LIMIT_MAX: '3',
    };
    const a = await startTestApp(shared, [FixtureModule]);
    const b = await startTestApp(shared, [FixtureModule]);
    try {
      expect((await request(a.url).get('/health/live')).status).toBe(200);
      expect((await request(b.url).get('/health/live')).status).toBe(200);
      expect((await request(a.url).get('/health/live')).status).toBe(200);
      expectTooManyRequests(await request(b.url).get('/health/live'));
      expectTooManyRequests(await request(a.url).get('/health/live'));
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('when Redis goes away and comes back, the app keeps limiting in-process, then shares again', async () => {
    const redis = new OwnRedis(await freePort());
    await redis.start();
    const app = await startTestApp(
      {
        ...tokens.env(),
        REDIS_URL: redis.url,
        RATE_LIMIT_MAX: '2',
      },
      [FixtureModule],
    );
    try {
      expect((await request(app.url).get('/health/live')).status).toBe(200);
      logCapture.clear();
      await redis.stop();
      expect((await request(app.url).get('/fixture/widgets')).status).toBe(401);
      expect((await request(app.url).get('/fixture/widgets')).status).toBe(401);
      expectTooManyRequests(await request(app.url).get('/fixture/widgets'));
      expect(logCapture.text()).toContain('rate limits fall back to in-process counting');

      await redis.start();
      for (let i = 0; i < 100 && !logCapture.text().includes('redis connected'); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect((await request(app.url).get('/health/ready')).status).toBe(200);
      expect(logCapture.text()).toContain('rate limits are shared through redis again');
    } finally {
      await app.close();
      await redis.stop();
    }
  });
});

/** The limiter is the first global guard, so it records the route template for the access log. */
describe('RateLimitGuard access log', () => {
  const tokens = new FixtureTokens();
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ ...tokens.env(), RATE_LIMIT_MAX: '1' }, [FixtureModule]);
  });
  afterAll(() => closeStarted(app));

  it('when a request is refused with 429, its access line names the route template, not the path', async () => {
    const id = '00000000-0000-4000-8000-00000000abcd';
    expect((await request(app.url).get(`/fixture/widgets/${id}`)).status).toBe(401);
    logCapture.clear();
    expectTooManyRequests(await request(app.url).get(`/fixture/widgets/${id}`));
    const lines = logCapture.failures();
    expect(lines.map((l) => [l.status, l.reason, l.route])).toEqual([
      [429, 'rate_limited', '/fixture/widgets/:id'],
    ]);
    expect(logCapture.text()).not.toContain(id);
  });
});
