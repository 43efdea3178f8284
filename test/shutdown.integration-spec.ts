import { randomBytes } from 'node:crypto';
import { connect, Socket } from 'node:net';
import { Client } from 'pg';
import { accepts, AppProcess } from './support/app-process';
import { closeStarted, ifStarted } from './support/cleanup';
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

/** Writes the request line and headers of a POST whose body is still to come. */
function startPost(socket: Socket, path: string, headers: string[], length: number): void {
  socket.write(
    [
      `POST ${path} HTTP/1.1`,
      'Host: 127.0.0.1',
      ...headers,
      'Content-Type: application/json',
      `Content-Length: ${length}`,
      '',
      '',
    ].join('\r\n'),
  );
}

async function connected(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  return socket;
}

/**
 * Graceful shutdown of the built app (`node dist/main.js`, as the container runs it), on
 * PostgreSQL and Redis: SIGTERM stops accepting connections, lets the request in flight finish
 * (its write reaches the database), closes the pool and Redis, and exits 0; what cannot finish
 * within SHUTDOWN_TIMEOUT_MS ends with exit 1, and a log sink that went away changes neither.
 */
describe('Graceful shutdown', () => {
  const tokens = new TokenFactory();
  const apps: AppProcess[] = [];
  let database: ThrowawayDatabase;
  let redisUrl: string;

  beforeAll(async () => {
    const adminUrl = process.env.TEST_DATABASE_URL;
    if (!adminUrl || !process.env.TEST_REDIS_URL) {
      throw new Error('run through npm run test:integration');
    }
    redisUrl = process.env.TEST_REDIS_URL;
    database = await ThrowawayDatabase.create(adminUrl);
  }, 30_000);

  afterAll(async () => {
    await closeStarted(...apps);
    await ifStarted(database, (d) => d.drop());
  }, 30_000);

  const start = async (env: Record<string, string> = {}): Promise<AppProcess> => {
    const app = await AppProcess.start({
      ...tokens.env(),
      NODE_ENV: 'production',
      API_KEY_PEPPER: randomBytes(32).toString('base64url'),
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: `lp-test-${randomBytes(6).toString('hex')}`,
      ...env,
    });
    apps.push(app);
    return app;
  };

  it('when SIGTERM arrives during a slow request, it stops accepting, completes the request, closes everything and exits 0', async () => {
    const app = await start();
    // A client that sends its body slowly: the request is in flight when the signal comes.
    const name = `slow-${randomBytes(4).toString('hex')}`;
    const body = JSON.stringify({ name, stock: 7 });
    const socket = await connected(app.port);
    const response = readResponse(socket);
    startPost(
      socket,
      '/items',
      [`Authorization: Bearer ${tokens.rs256()}`],
      Buffer.byteLength(body),
    );
    socket.write(body.slice(0, 5));

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
  }, 60_000);

  it('when the reader of its log pipes has gone, SIGTERM still ends it with exit 0', async () => {
    const app = await start();
    // The log shipper reading stdout and stderr exits; the app's next log write gets EPIPE.
    app.closeLogPipes();
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${app.url}/health/live`);
      expect(res.status).toBe(200);
    }

    app.signal('SIGTERM');

    // Exit 0: the drain finished (the bound would end it with exit 1).
    expect(await app.exited).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('when a request is still in flight at SHUTDOWN_TIMEOUT_MS, it exits 1 after the bound', async () => {
    const app = await start({ SHUTDOWN_TIMEOUT_MS: '1000' });
    // A body that never comes. `Expect: 100-continue` makes the server answer as soon as it
    // has read the headers, so the request is known to be in flight before the signal.
    const socket = await connected(app.port);
    // The app's exit closes the connection; how it closes is not what this test is about.
    socket.on('error', () => undefined);
    const continued = new Promise<void>((resolve) => {
      socket.on('data', (c: Buffer) => {
        if (c.toString('utf8').startsWith('HTTP/1.1 100 Continue')) resolve();
      });
    });
    startPost(socket, '/items', ['Expect: 100-continue'], 1000);
    await continued;

    app.signal('SIGTERM');

    expect(await app.exited).toEqual({ code: 1, signal: null });
    socket.destroy();
    const timedOut = app
      .logLines()
      .find((l) => l.msg === 'shutdown: not finished within the bound, exiting');
    expect(timedOut).toMatchObject({ timeoutMs: 1000, inFlight: 1 });
  }, 60_000);
});
