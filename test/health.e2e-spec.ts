import { createServer, Server, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { closeStarted } from './support/cleanup';
import { logCapture } from './support/log-capture';
import { rawRequest } from './support/raw-http';
import { startTestApp, TestApp } from './support/test-app';
import { FixtureTokens } from './support/fixture/fixture-tokens';
import { FixtureModule } from './support/fixture/fixture.module';
import { describeWith } from './support/integration-services';

describe('HealthController', () => {
  const tokens = new FixtureTokens();
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ ...tokens.env(), DATABASE_URL: ':memory:' }, [FixtureModule]);
  });
  afterAll(() => closeStarted(app));

  it.each(['/health/live', '/health/ready'])(
    'when %s is asked anonymously, 200 with only a status',
    async (path) => {
      const res = await rawRequest(app.url, { method: 'GET', path });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ status: 'ok' });
    },
  );
});

/**
 * Terminus puts driver errors (hosts, credentials) in the 503 body (docs/threat-model.md,
 * section 6). Here the database really goes away under a running app — a loopback TCP proxy in
 * front of the real PostgreSQL is closed — and the database password is a canary. Needs PostgreSQL: runs in the
 * integration run (`npm run test:integration`, part of .ci/run).
 */
describeWith('TEST_DATABASE_URL', 'HealthController when PostgreSQL fails', () => {
  const tokens = new FixtureTokens();
  const password = `dbpw${randomBytes(12).toString('hex')}`;
  const database = `lp_health_${randomBytes(4).toString('hex')}`;
  const adminUrl = new URL(
    process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  );
  const sockets = new Set<Socket>();
  let proxy: Server;
  let app: TestApp;

  beforeAll(async () => {
    const admin = new Client({ connectionString: adminUrl.toString() });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.end();
    proxy = createServer((client) => {
      const upstream = new Socket();
      upstream.connect(Number(adminUrl.port || 5432), adminUrl.hostname);
      client.pipe(upstream).pipe(client);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('error', () => s.destroy());
        s.on('close', () => sockets.delete(s));
      }
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const { port } = proxy.address() as AddressInfo;
    const user = adminUrl.username || 'postgres';
    app = await startTestApp(
      {
        ...tokens.env(),
        DATABASE_URL: `postgres://${user}:${password}@127.0.0.1:${port}/${database}`,
      },
      [FixtureModule],
    );
  });

  afterAll(async () => {
    await closeStarted(app);
    const admin = new Client({ connectionString: adminUrl.toString() });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });

  it('when the database is unreachable, 503 with only the fixed problem body; the log names no password', async () => {
    expect((await rawRequest(app.url, { method: 'GET', path: '/health/ready' })).status).toBe(200);
    logCapture.clear();
    const closed = new Promise((resolve) => proxy.close(resolve));
    for (const s of sockets) s.destroy();
    await closed;
    const res = await rawRequest(app.url, { method: 'GET', path: '/health/ready' });
    expect(res.status).toBe(503);
    const body = JSON.parse(res.body) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['requestId', 'status', 'title', 'type']);
    expect(res.body).not.toMatch(/database|ECONN|127\.0\.0\.1/);
    expect(logCapture.text()).toContain('database readiness check failed');
    expect(logCapture.text()).not.toContain(password);
    expect((await rawRequest(app.url, { method: 'GET', path: '/health/live' })).status).toBe(200);
  });
});
