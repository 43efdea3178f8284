import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiKeyFormat } from '../src/kit/api-keys/api-key-format';
import { closeStarted, ifStarted } from './support/cleanup';
import { AppProcess, freePort, waitForPort } from './support/app-process';
import { ThrowawayDatabase } from './support/test-app';
import { TokenFactory } from './support/tokens';

const LIMIT = 20;
const FAILURES = 4;

/**
 * deploy/nginx.conf itself, with only the addresses changed, so what compose runs is what is
 * tested. Each substitution must match: an edit to the file that breaks it fails here loudly.
 */
function nginxConfig(dir: string, lbPort: number, ports: [number, number]): string {
  let site = readFileSync(join(__dirname, '..', 'deploy', 'nginx.conf'), 'utf8');
  const swaps: [string, string][] = [
    ['server app-1:3000', `server 127.0.0.1:${ports[0]}`],
    ['server app-2:3000', `server 127.0.0.1:${ports[1]}`],
    ['listen 8080;', `listen 127.0.0.1:${lbPort};`],
    ['access_log /dev/stdout leakproof;', `access_log ${join(dir, 'access.log')} leakproof;`],
  ];
  for (const [from, to] of swaps) {
    if (!site.includes(from)) throw new Error(`deploy/nginx.conf no longer contains "${from}"`);
    site = site.replace(from, to);
  }
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((name) => {
      mkdirSync(join(dir, name), { mode: 0o777 });
      return `${name}_temp_path ${join(dir, name)};`;
    })
    .join('\n  ');
  return `daemon off;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 64; }
http {
  ${temp}
${site}
}
`;
}

/**
 * The compose load balancer for real: Debian's nginx running deploy/nginx.conf in front of two
 * built app instances (PostgreSQL, Redis), as `docker compose up` wires them.
 */
describe('nginx in front of two instances (deploy/nginx.conf)', () => {
  const tokens = new TokenFactory();
  let dir: string;
  let database: ThrowawayDatabase;
  let a: AppProcess;
  let b: AppProcess;
  let nginx: ChildProcess;
  let lb: string;

  beforeAll(async () => {
    const adminUrl = process.env.TEST_DATABASE_URL;
    const redisUrl = process.env.TEST_REDIS_URL;
    if (!adminUrl || !redisUrl) throw new Error('run through npm run test:integration');
    dir = mkdtempSync(join(tmpdir(), 'lp-nginx-'));
    // nginx workers run as an unprivileged user: they must reach the temp paths inside.
    chmodSync(dir, 0o755);
    database = await ThrowawayDatabase.create(adminUrl);
    const env = {
      ...tokens.env(),
      NODE_ENV: 'production',
      API_KEY_PEPPER: randomBytes(32).toString('base64url'),
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: `lp-test-${randomBytes(6).toString('hex')}`,
      RATE_LIMIT_MAX: String(LIMIT),
      TRUST_PROXY_HOPS: '1',
      API_KEY_FAILURES_PER_MINUTE: String(FAILURES),
    };
    a = await AppProcess.start(env);
    b = await AppProcess.start(env);
    const lbPort = await freePort();
    writeFileSync(join(dir, 'nginx.conf'), nginxConfig(dir, lbPort, [a.port, b.port]));
    // Debian's nginx (.ci/run installs it); /usr/sbin may be missing from a non-root PATH.
    const bin = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
    nginx = spawn(bin, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
    await waitForPort(lbPort, 'nginx');
    lb = `http://127.0.0.1:${lbPort}`;
  }, 60_000);

  afterAll(async () => {
    await ifStarted(nginx, async (n) => {
      if (n.exitCode !== null || n.signalCode !== null) return;
      n.kill('SIGQUIT');
      await once(n, 'exit');
    });
    await closeStarted(a, b);
    await ifStarted(database, (d) => d.drop());
    await ifStarted(dir, (d) => {
      rmSync(d, { recursive: true, force: true });
    });
  }, 30_000);

  const bearer = (scope: string) => ({ authorization: `Bearer ${tokens.rs256({ scope })}` });

  it('when a client sends X-API-Key through nginx, the key reaches the app; X_API_KEY does not', async () => {
    const created = await fetch(`${lb}/api-keys`, {
      method: 'POST',
      headers: { ...bearer('api-keys:admin'), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'through-nginx', scopes: ['stock:write'] }),
    });
    expect(created.status).toBe(201);
    const { key } = (await created.json()) as { key: string };
    const item = await fetch(`${lb}/items`, {
      method: 'POST',
      headers: { ...bearer('items:write'), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'lb-item', stock: 0 }),
    });
    const { id } = (await item.json()) as { id: string };
    const put = (headers: Record<string, string>) =>
      fetch(`${lb}/items/${id}/stock`, {
        method: 'PUT',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ stock: 2 }),
      });
    expect((await put({ 'X-API-Key': key })).status).toBe(200);
    // nginx drops header names with underscores: the app sees no key at all.
    const underscored = await put({ X_API_KEY: key });
    expect(underscored.status).toBe(401);
    expect(underscored.headers.get('www-authenticate')).toBe('ApiKey realm="leakproof"');
  });

  it('when bad keys are spread over both replicas, one failure allowance covers both', async () => {
    const put = () =>
      fetch(`${lb}/items/00000000-0000-4000-8000-000000000000/stock`, {
        method: 'PUT',
        headers: {
          'X-API-Key': ApiKeyFormat.generate('live').key,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ stock: 1 }),
      });
    // Round robin: each replica sees about half; per replica they would allow 2 x FAILURES.
    for (let i = 0; i < FAILURES; i++) expect((await put()).status).toBe(401);
    const limited = await put();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('when a client forges X-Forwarded-For, the shared limit still counts its real address', async () => {
    for (let i = 0; i < LIMIT; i++) {
      const res = await fetch(`${lb}/health/live`, {
        headers: { 'x-forwarded-for': `198.51.100.${i + 1}` },
      });
      expect(res.status).toBe(200);
    }
    const over = await fetch(`${lb}/health/live`, {
      headers: { 'x-forwarded-for': '203.0.113.9' },
    });
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Both replicas served: the limit above was shared, not per replica.
    const served = readFileSync(join(dir, 'access.log'), 'utf8');
    expect(served).toContain(`127.0.0.1:${a.port}`);
    expect(served).toContain(`127.0.0.1:${b.port}`);
  });

  it('when a request carries a key in its query string, the nginx access log does not', async () => {
    const canary = `lp_test_${randomBytes(12).toString('hex')}`;
    const res = await fetch(`${lb}/items?api_key=${canary}`);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const log = readFileSync(join(dir, 'access.log'), 'utf8');
    expect(log).toContain('GET /items HTTP/1.1');
    expect(log).not.toContain(canary);
    expect(a.logText() + b.logText()).not.toContain(canary);
  });

  it('when one replica is stopped with SIGTERM, nginx keeps answering from the other', async () => {
    a.signal('SIGTERM');
    expect(await a.exited).toEqual({ code: 0, signal: null });
    const headers = bearer('items:read');
    for (let i = 0; i < 6; i++) {
      expect((await fetch(`${lb}/items`, { headers })).status).toBe(200);
    }
  });
});
