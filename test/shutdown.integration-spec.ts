import { randomBytes } from 'node:crypto';
import { connect, Socket } from 'node:net';
import { Client } from 'pg';
import { accepts, AppProcess } from './support/app-process';
import { ThrowawayDatabase } from './support/test-app';
import { TokenFactory } from './support/tokens';

/** Reads a whole HTTP/1.1 response from a raw socket until the server closes it. */
function readResponse(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString('utf8')));
    socket.once('end', () => {
      resolve(text);
    });
    socket.once('error', reject);
  });
}

/**
 * Graceful shutdown of the built app (`node dist/main.js`, as the container runs it), on
 * PostgreSQL and Redis: SIGTERM stops accepting connections, lets the request in flight finish
 * (its write reaches the database), closes the pool and Redis, and exits 0.
 */
describe('Graceful shutdown', () => {
  const tokens = new TokenFactory();
  let database: ThrowawayDatabase;
  let app: AppProcess;

  beforeAll(async () => {
    const adminUrl = process.env.TEST_DATABASE_URL;
    const redisUrl = process.env.TEST_REDIS_URL;
    if (!adminUrl || !redisUrl) throw new Error('run through npm run test:integration');
    database = await ThrowawayDatabase.create(adminUrl);
    app = await AppProcess.start({
      ...tokens.env(),
      NODE_ENV: 'production',
      API_KEY_PEPPER: randomBytes(32).toString('base64url'),
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: `lp-test-${randomBytes(6).toString('hex')}`,
    });
  }, 30_000);

  afterAll(async () => {
    app.kill();
    await app.exited;
    await database.drop();
  });

  it('when SIGTERM arrives during a slow request, it stops accepting, completes the request, closes everything and exits 0', async () => {
    // A client that sends its body slowly: the request is in flight when the signal comes.
    const name = `slow-${randomBytes(4).toString('hex')}`;
    const body = JSON.stringify({ name, stock: 7 });
    const socket = connect(app.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    const response = readResponse(socket);
    socket.write(
      [
        'POST /items HTTP/1.1',
        'Host: 127.0.0.1',
        `Authorization: Bearer ${tokens.rs256()}`,
        'Content-Type: application/json',
        `Content-Length: ${Buffer.byteLength(body)}`,
        '',
        '',
      ].join('\r\n') + body.slice(0, 5),
    );

    app.signal('SIGTERM');
    let refused = false;
    for (let i = 0; i < 200 && !refused; i++) {
      refused = !(await accepts(app.port));
      if (!refused) await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(refused).toBe(true);

    socket.write(body.slice(5));
    const text = await response;
    expect(text.split('\r\n')[0]).toBe('HTTP/1.1 201 Created');
    // The connection closes after this response instead of idling until keep-alive times out.
    expect(text).toMatch(/\r\nConnection: close\r\n/i);
    expect(text).toContain(name);

    expect(await app.exited).toEqual({ code: 0, signal: null });
    // Order: drain starts, the request completes, then the pool and Redis close.
    const messages = app.logLines().map((l) => l.msg);
    const at = (msg: unknown) => messages.indexOf(msg);
    expect(at('shutdown: draining in-flight requests')).toBeGreaterThanOrEqual(0);
    expect(messages.lastIndexOf('request completed')).toBeGreaterThan(
      at('shutdown: draining in-flight requests'),
    );
    expect(at('database pool closed')).toBeGreaterThan(messages.lastIndexOf('request completed'));
    expect(at('redis connections closed')).toBeGreaterThan(
      messages.lastIndexOf('request completed'),
    );
    expect(app.errText()).toBe('');

    // The in-flight write was committed before the pool closed.
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      const rows = await client.query('SELECT stock FROM items WHERE name = $1', [name]);
      expect(rows.rows).toEqual([{ stock: 7 }]);
    } finally {
      await client.end();
    }
  }, 30_000);
});
