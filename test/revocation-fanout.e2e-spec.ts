import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { RedisConnection } from '../src/kit/redis/redis-connection';
import { closeStarted } from './support/cleanup';
import { logCapture } from './support/log-capture';
import { startTestApp, TestApp } from './support/test-app';
import { freePort } from './support/app-process';
import { FixtureModule } from './support/fixture/fixture.module';
import { FixtureTokens } from './support/fixture/fixture-tokens';
import { OwnRedis } from './support/own-redis';
import { describeWith } from './support/integration-services';

const sleep = (ms: number) =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/** A Redis of this test's own (Debian's redis-server, as .ci/run runs it), to stop and restart. */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * ApiKeyRevocationFanout across two app instances that share one database (a SQLite file) and
 * one Redis that the test stops and restarts: the fan-out makes a revocation immediate; with
 * Redis down the verification cache is the bound; a subscriber that comes back drops its cache.
 * Needs redis-server: runs in the integration run (TEST_REDIS_URL set), like the other Redis specs.
 */
describeWith('TEST_REDIS_URL', 'ApiKeyRevocationFanout', () => {
  const tokens = new FixtureTokens();
  const admin = tokens.rs256({ sub: 'admin', scope: 'api-keys:admin widgets:read widgets:write' });
  let dir: string;
  let redis: OwnRedis;
  let a: TestApp;
  let b: TestApp;
  let widgetId: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lp-fanout-'));
    redis = new OwnRedis(await freePort());
    await redis.start();
    const env = {
      ...tokens.env(),
      DATABASE_URL: join(dir, 'shared.sqlite'),
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: 'lp-fanout-test',
      API_KEY_FAILURES_PER_MINUTE: '1000',
    };
    a = await startTestApp(env, [FixtureModule]);
    b = await startTestApp(env, [FixtureModule]);
    // The fixture keeps widgets in memory: the widget lives on B, where the key is used.
    const widget = await request(b.url)
      .post('/fixture/widgets')
      .set('Authorization', `Bearer ${admin}`)
      .send({ name: 'fanout', stock: 0 });
    widgetId = (widget.body as { id: string }).id;
  });

  afterAll(async () => {
    await closeStarted(a, b);
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const useOnB = (key: string) =>
    request(b.url)
      .put(`/fixture/widgets/${widgetId}/stock`)
      .set('X-API-Key', key)
      .send({ stock: 1 });

  async function keyCachedOnB(): Promise<{ id: string; key: string }> {
    const created = await request(a.url)
      .post('/api-keys')
      .set('Authorization', `Bearer ${admin}`)
      .send({ name: 'fanout', scopes: ['widgets:stock'] });
    expect(created.status).toBe(201);
    const { id, key } = created.body as { id: string; key: string };
    expect((await useOnB(key)).status).toBe(200);
    return { id, key };
  }

  const revokeOnA = (id: string) =>
    request(a.url).post(`/api-keys/${id}/revoke`).set('Authorization', `Bearer ${admin}`);

  it('when a key is revoked on A, B refuses it once the message arrives', async () => {
    const { id, key } = await keyCachedOnB();
    expect((await revokeOnA(id)).status).toBe(200);
    let status = 200;
    for (let i = 0; i < 200 && status === 200; i++) {
      status = (await useOnB(key)).status;
      if (status === 200) await sleep(5);
    }
    expect(status).toBe(401);
  });

  it('when Redis is down, B serves its cached result; when B resubscribes, it drops its cache', async () => {
    const { id, key } = await keyCachedOnB();
    await redis.stop();
    await until(() => a.app.get(RedisConnection).state === 'down', 'A to see redis down');
    logCapture.clear();
    expect((await revokeOnA(id)).status).toBe(200);
    expect(logCapture.text()).toContain('other instances drop this key when their cache expires');
    // No message can reach B: its cached verification (short TTL) still answers.
    expect((await useOnB(key)).status).toBe(200);

    await redis.start();
    // Both instances' subscribers come back (one log capture per test file holds both).
    const resynced = () =>
      logCapture
        .lines()
        .filter((l) => l.msg === 'revocation channel reconnected: verification cache dropped')
        .length;
    await until(() => resynced() >= 2, 'both subscribers to come back');
    expect((await useOnB(key)).status).toBe(401);
  });
});
