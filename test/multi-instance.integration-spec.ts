import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ifStarted } from './support/cleanup';
import { AppProcess } from './support/app-process';
import { ThrowawayDatabase } from './support/test-app';
import { TokenFactory } from './support/tokens';

/** Generous per-route limit for this file; the shared-limit test exhausts one route's. */
const LIMIT = 200;
/** The bound docs/scaling.md gives for a revocation to reach another instance with Redis up. */
const PROPAGATION_BOUND_MS = 1000;

interface Call {
  status: number;
  body: Record<string, unknown>;
}

async function call(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: unknown,
): Promise<Call> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/**
 * Two instances of the built app on loopback, sharing one PostgreSQL database and one Redis,
 * as two replicas behind a load balancer: what must hold across them (issue "Scale-out").
 * The measured numbers are written to test-results/multi-instance.json.
 */
describe('Two instances sharing PostgreSQL and Redis', () => {
  const tokens = new TokenFactory();
  const pepper = randomBytes(32).toString('base64url');
  const measured: Record<string, unknown> = {};
  let dir: string;
  let database: ThrowawayDatabase;
  let env: Record<string, string>;
  let a: AppProcess;
  let b: AppProcess;

  beforeAll(async () => {
    const adminUrl = process.env.TEST_DATABASE_URL;
    const redisUrl = process.env.TEST_REDIS_URL;
    if (!adminUrl || !redisUrl) throw new Error('run through npm run test:integration');
    // Secrets as files, as compose mounts them (*_FILE); generated now, removed after.
    dir = mkdtempSync(join(tmpdir(), 'lp-multi-'));
    writeFileSync(join(dir, 'jwt_public_key'), tokens.publicKeyPem, { mode: 0o600 });
    writeFileSync(join(dir, 'api_key_pepper'), pepper, { mode: 0o600 });
    database = await ThrowawayDatabase.create(adminUrl);
    env = {
      NODE_ENV: 'production',
      JWT_ISSUER: tokens.issuer,
      JWT_AUDIENCE: tokens.audience,
      JWT_ALGORITHMS: 'RS256',
      JWT_PUBLIC_KEY_FILE: join(dir, 'jwt_public_key'),
      API_KEY_PEPPER_FILE: join(dir, 'api_key_pepper'),
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: `lp-test-${randomBytes(6).toString('hex')}`,
      RATE_LIMIT_MAX: String(LIMIT),
    };
    // One after the other: the first applies the migrations, the second finds them applied.
    a = await AppProcess.start(env);
    b = await AppProcess.start(env);
  }, 60_000);

  afterAll(async () => {
    const stop = async (app: AppProcess): Promise<void> => {
      app.signal('SIGTERM');
      await app.exited;
    };
    await Promise.all([ifStarted(a, stop), ifStarted(b, stop)]);
    await ifStarted(database, (d) => d.drop());
    await ifStarted(dir, (d) => {
      rmSync(d, { recursive: true, force: true });
    });
    mkdirSync('test-results', { recursive: true });
    writeFileSync(
      join('test-results', 'multi-instance.json'),
      `${JSON.stringify(measured, null, 2)}\n`,
    );
    // Shown in the run's output too, so a CI log carries the numbers.
    console.log(`multi-instance measurements: ${JSON.stringify(measured)}`);
  }, 30_000);

  const bearer = (scope: string) => ({ authorization: `Bearer ${tokens.rs256({ scope })}` });

  it('when one JWT is minted, both instances accept it (no shared state needed)', async () => {
    const headers = bearer('items:read');
    expect((await call(a.url, 'GET', '/items', headers)).status).toBe(200);
    expect((await call(b.url, 'GET', '/items', headers)).status).toBe(200);
  });

  it('when a client spreads requests over both instances, one limit covers the sum', async () => {
    // Each instance alone would allow LIMIT; together they allow LIMIT, then both refuse.
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT; i++) {
      statuses.push((await call(i % 2 === 0 ? a.url : b.url, 'GET', '/health/live')).status);
    }
    expect(statuses.every((s) => s === 200)).toBe(true);
    const overA = await call(a.url, 'GET', '/health/live');
    const overB = await call(b.url, 'GET', '/health/live');
    expect([overA.status, overB.status]).toEqual([429, 429]);
    expect(overB.body.title).toBe('Too Many Requests');
    measured.sharedLimit = {
      limit: LIMIT,
      acceptedOnA: LIMIT / 2,
      acceptedOnB: LIMIT / 2,
      nextOnA: overA.status,
      nextOnB: overB.status,
    };
  });

  /**
   * Polls B with the key until B refuses it; returns the milliseconds from `since` to the first
   * refusal. B has the key's verification cached (10 s TTL): only the fan-out makes it forget.
   */
  async function msUntilRefused(key: string, itemId: string, since: number): Promise<number> {
    for (;;) {
      const res = await call(
        b.url,
        'PUT',
        `/items/${itemId}/stock`,
        { 'x-api-key': key },
        {
          stock: 1,
        },
      );
      const elapsed = performance.now() - since;
      if (res.status !== 200) {
        expect(res.status).toBe(401);
        return elapsed;
      }
      if (elapsed > PROPAGATION_BOUND_MS) return elapsed;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  async function newKeyInUseOnB(name: string): Promise<{ id: string; key: string; item: string }> {
    const admin = bearer('api-keys:admin');
    const created = await call(a.url, 'POST', '/api-keys', admin, {
      name,
      scopes: ['stock:write'],
    });
    expect(created.status).toBe(201);
    const item = await call(a.url, 'POST', '/items', bearer('items:write'), { name, stock: 0 });
    expect(item.status).toBe(201);
    const key = created.body.key as string;
    const itemId = item.body.id as string;
    // Twice on B: the second is answered from B's verification cache.
    for (const stock of [3, 4]) {
      const used = await call(
        b.url,
        'PUT',
        `/items/${itemId}/stock`,
        { 'x-api-key': key },
        {
          stock,
        },
      );
      expect(used.status).toBe(200);
    }
    return { id: created.body.id as string, key, item: itemId };
  }

  it('when a key created on A and used on B is revoked on A, B refuses it within the bound', async () => {
    const { id, key, item } = await newKeyInUseOnB('multi-revoke');
    const revoked = await call(a.url, 'POST', `/api-keys/${id}/revoke`, bearer('api-keys:admin'));
    expect(revoked.status).toBe(200);
    const ms = await msUntilRefused(key, item, performance.now());
    measured.revocationPropagationMs = Math.round(ms * 10) / 10;
    expect(ms).toBeLessThan(PROPAGATION_BOUND_MS);
    const logs = a.logText() + b.logText();
    expect(logs).not.toContain(key);
    expect(logs).not.toContain(pepper);
  });

  it('when a key used on B is rotated on A with no overlap, B refuses the old key and takes the new', async () => {
    const { id, key, item } = await newKeyInUseOnB('multi-rotate');
    const rotated = await call(a.url, 'POST', `/api-keys/${id}/rotate`, bearer('api-keys:admin'), {
      overlap: '0s',
    });
    expect(rotated.status).toBe(201);
    const ms = await msUntilRefused(key, item, performance.now());
    measured.rotationPropagationMs = Math.round(ms * 10) / 10;
    expect(ms).toBeLessThan(PROPAGATION_BOUND_MS);
    const next = await call(
      b.url,
      'PUT',
      `/items/${item}/stock`,
      {
        'x-api-key': rotated.body.key as string,
      },
      { stock: 9 },
    );
    expect(next.status).toBe(200);
  });

  it('when a key used on B is revoked with the CLI, B refuses it within the bound', async () => {
    const { id, key, item } = await newKeyInUseOnB('multi-cli');
    const cli = join(__dirname, '..', 'dist', 'cli', 'api-key.cli.js');
    const { stderr } = await promisify(execFile)(process.execPath, [cli, 'revoke', id], {
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    expect(stderr).not.toContain(key);
    const ms = await msUntilRefused(key, item, performance.now());
    measured.cliRevocationPropagationMs = Math.round(ms * 10) / 10;
    expect(ms).toBeLessThan(PROPAGATION_BOUND_MS);
  });
});
