import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { closeStarted } from './support/cleanup';
import { logCapture } from './support/log-capture';
import { startTestApp, TestApp } from './support/test-app';
import { FixtureModule } from './support/fixture/fixture.module';
import { FixtureTokens } from './support/fixture/fixture-tokens';

/**
 * The outbound client against REAL loopback HTTP servers standing in for the downstream
 * service (docs/threat-model.md, section 1; promises P1, P2). Every incoming request
 * carries credentials and canaries in its headers, query and body; the downstream must see only
 * the server-held key, and our response and log must hold neither that key, the canaries, nor
 * anything the downstream said.
 */
interface Captured {
  method: string;
  url: string;
  rawHeaders: string[];
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

class LoopbackServer {
  readonly hits: Captured[] = [];
  handler: Handler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"available":12}');
  };
  private readonly open = new Set<ServerResponse>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<LoopbackServer> {
    const server = createServer();
    const loopback = new LoopbackServer(server);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      loopback.open.add(res);
      res.on('close', () => loopback.open.delete(res));
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        loopback.hits.push({
          method: req.method ?? '',
          url: req.url ?? '',
          rawHeaders: [...req.rawHeaders],
          body: Buffer.concat(chunks).toString('utf8'),
        });
        loopback.handler(req, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return loopback;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Ends every response a slow handler left hanging. */
  reset(): void {
    for (const res of this.open) res.destroy();
    this.hits.length = 0;
  }

  async close(): Promise<void> {
    this.reset();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const random = (label: string): string => `${label}${randomBytes(12).toString('hex')}`;
const MIB = 1024 * 1024;

describe('DownstreamClient over loopback', () => {
  const tokens = new FixtureTokens();
  // Generated per run: a key that exists nowhere but in this process.
  const downstreamKey = random('dskey');
  const marker = random('dsbody');
  let remote: LoopbackServer;
  let elsewhere: LoopbackServer;
  let app: TestApp;
  let refusedApp: TestApp;
  let unconfiguredApp: TestApp;
  const itemIds = new Map<TestApp, string>();
  const allCanaries: string[] = [];
  const token = tokens.rs256();

  async function createItem(target: TestApp): Promise<void> {
    const res = await request(target.url)
      .post('/fixture/widgets')
      .set('Authorization', `Bearer ${token}`)
      .send({ name: 'widget', stock: 1 });
    expect(res.status).toBe(201);
    itemIds.set(target, (res.body as { id: string }).id);
  }

  /** GET /fixture/widgets/{id}/remote with a credential or canary in every place a client can put one. */
  async function askStockLevel(target: TestApp, id = itemIds.get(target)!) {
    const c = Array.from({ length: 12 }, (_, i) => random(`canary${i}x`));
    allCanaries.push(...c);
    const res = await request(target.url)
      // A second credential (X-API-Key, ?api_key) would be refused before the handler (RFC 6750
      // §2): what rides along here are the headers and query values that still reach it.
      .get(`/fixture/widgets/${id}/remote?ref=${c[0]}&page=${c[1]}&note=${c[2]}`)
      .set('Authorization', `Bearer ${token}`)
      .set('X-Access-Token', c[3])
      .set('Cookie', `session=${c[4]}; theme=${c[5]}`)
      .set('Proxy-Authorization', `Bearer ${c[6]}`)
      .set('X-Auth-Token', c[7])
      .set('X-Request-Id', c[8])
      .set('X-Forwarded-For', c[9])
      .set('X-Canary', c[10])
      .send({ apiKey: c[11], note: c[2] });
    return { res, canaries: [...c, token, token.split('.')[2]] };
  }

  function expectNone(text: string, needles: readonly string[]): void {
    for (const needle of needles) expect(text).not.toContain(needle);
  }

  function downstreamEvents(): Record<string, unknown>[] {
    return logCapture.lines().filter((l) => l.event === 'downstream_call');
  }

  beforeAll(async () => {
    remote = await LoopbackServer.start();
    elsewhere = await LoopbackServer.start();
    const closed = await LoopbackServer.start();
    const refusedUrl = closed.url;
    await closed.close();
    const env = {
      ...tokens.env(),
      DOWNSTREAM_API_KEY: downstreamKey,
      DOWNSTREAM_TIMEOUT_MS: '500',
    };
    app = await startTestApp({ ...env, DOWNSTREAM_BASE_URL: remote.url }, [FixtureModule]);
    refusedApp = await startTestApp({ ...env, DOWNSTREAM_BASE_URL: refusedUrl }, [FixtureModule]);
    unconfiguredApp = await startTestApp(tokens.env(), [FixtureModule]);
    for (const target of [app, refusedApp, unconfiguredApp]) await createItem(target);
  });

  beforeEach(() => {
    remote.reset();
    elsewhere.reset();
    logCapture.clear();
  });

  afterEach(() => {
    // Whatever was logged after a response (the access line) is checked here too.
    expectNone(logCapture.text(), [downstreamKey, marker, ...allCanaries]);
  });

  afterAll(async () => {
    await closeStarted(app, refusedApp, unconfiguredApp, remote, elsewhere);
  });

  it('when the downstream answers, it gets the server-held key and nothing the client sent', async () => {
    remote.handler = (_req, res) => {
      res
        .writeHead(200, {
          'content-type': 'application/json',
          'set-cookie': `ds=${marker}`,
          'x-downstream-token': marker,
        })
        .end(JSON.stringify({ available: 12, internal: marker }));
    };
    const { res, canaries } = await askStockLevel(app);
    const id = itemIds.get(app)!;

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ widgetId: id, available: 12 });
    expectNone(JSON.stringify(res.headers), [marker, downstreamKey]);
    expectNone(res.text, [marker, downstreamKey]);

    expect(remote.hits).toHaveLength(1);
    const hit = remote.hits[0];
    expect(hit.method).toBe('GET');
    expect(hit.url).toBe(`/remote/${id}`);
    expect(hit.body).toBe('');
    const headers = new Map<string, string>();
    for (let i = 0; i < hit.rawHeaders.length; i += 2) {
      headers.set(hit.rawHeaders[i].toLowerCase(), hit.rawHeaders[i + 1]);
    }
    expect([...headers.keys()].sort()).toEqual([
      'accept',
      'authorization',
      'connection',
      'host',
      'x-request-id',
    ]);
    expect(headers.get('authorization')).toBe(`Bearer ${downstreamKey}`);
    expect(headers.get('host')).toBe(`127.0.0.1:${remote.port}`);
    expect(headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expectNone(JSON.stringify(hit), canaries);

    expectNone(logCapture.text(), [downstreamKey, marker, ...canaries]);
  });

  const slow: Handler = () => {
    // Never answers; reset() ends it after the test.
  };
  const echo500: Handler = (req, res) => {
    res
      .writeHead(500, { 'content-type': 'application/json', 'set-cookie': `ds=${marker}` })
      .end(JSON.stringify({ error: marker, echo: req.headers }));
  };
  const cases: [string, number, string, number | null, () => Handler][] = [
    ['500 with a body echoing our request headers', 502, 'error_status', 500, () => echo500],
    [
      '401 with its own challenge',
      502,
      'error_status',
      401,
      () => (_req, res) => {
        res
          .writeHead(401, { 'www-authenticate': `Bearer realm="${marker}"` })
          .end(JSON.stringify({ error: marker }));
      },
    ],
    [
      'a 302 to another loopback port',
      502,
      'redirect',
      302,
      () => (_req, res) => {
        res.writeHead(302, { location: `${elsewhere.url}/steal?m=${marker}` }).end(marker);
      },
    ],
    ['no headers before the timeout', 504, 'timeout', null, () => slow],
    [
      'headers, then a body that stalls past the timeout',
      504,
      'timeout',
      200,
      () => (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(`{"note":"${marker}",`);
      },
    ],
    [
      'a huge chunked body',
      502,
      'too_large',
      200,
      () => (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(`{"available":1,"pad":"${marker}${'x'.repeat(2 * MIB)}"}`);
      },
    ],
    [
      'a huge declared content-length',
      502,
      'too_large',
      200,
      () => (_req, res) => {
        const body = `{"available":1,"pad":"${marker}${'x'.repeat(2 * MIB)}"}`;
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        });
        res.end(body);
      },
    ],
    [
      'an HTML page',
      502,
      'bad_content_type',
      200,
      () => (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' }).end(`<p>${marker}</p>`);
      },
    ],
    [
      'JSON of the wrong shape',
      502,
      'bad_body',
      200,
      () => (_req, res) => {
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ available: marker }));
      },
    ],
    [
      'malformed JSON',
      502,
      'bad_body',
      200,
      () => (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' }).end(`{"available": ${marker}`);
      },
    ],
    [
      'a connection dropped mid-body',
      502,
      'failed',
      200,
      () => (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write(`{"x":"${marker}`);
        setImmediate(() => res.socket?.destroy());
      },
    ],
  ];

  it.each(cases)(
    'when the downstream sends %s, %i problem+json with nothing of it',
    async (_name, status, outcome, downstreamStatus, handler) => {
      remote.handler = handler();
      const { res, canaries } = await askStockLevel(app);

      expect(res.status).toBe(status);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      const { requestId, ...rest } = res.body as Record<string, unknown>;
      expect(typeof requestId).toBe('string');
      expect(Object.keys(rest).sort()).toEqual(['detail', 'status', 'title', 'type']);
      expect(res.headers['www-authenticate']).toBeUndefined();
      expect(res.headers['set-cookie']).toBeUndefined();
      const whole = `${JSON.stringify(res.headers)}\n${res.text}`;
      expectNone(whole, [
        downstreamKey,
        marker,
        `127.0.0.1:${remote.port}`,
        '/remote/',
        ...canaries,
      ]);

      expect(remote.hits).toHaveLength(1);
      expectNone(JSON.stringify(remote.hits[0]), canaries);
      expect(elsewhere.hits).toHaveLength(0);

      const events = downstreamEvents();
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        method: 'GET',
        host: `127.0.0.1:${remote.port}`,
        path: '/remote/{id}',
        status: downstreamStatus,
        outcome,
      });
      expect(typeof events[0].durationMs).toBe('number');
      expectNone(logCapture.text(), [downstreamKey, marker, ...canaries]);
    },
  );

  it('when the downstream refuses the connection, 503 and the log names the code only', async () => {
    const { res, canaries } = await askStockLevel(refusedApp);
    expect(res.status).toBe(503);
    expect((res.body as { detail: string }).detail).toBe(
      'A service this operation depends on is unavailable.',
    );
    expectNone(res.text, [downstreamKey, '127.0.0.1', ...canaries]);
    const events = downstreamEvents();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ outcome: 'unreachable', status: null, code: 'ECONNREFUSED' });
    expectNone(logCapture.text(), [downstreamKey, ...canaries]);
  });

  it('when no downstream is configured, 503', async () => {
    const { res } = await askStockLevel(unconfiguredApp);
    expect(res.status).toBe(503);
    expect(downstreamEvents()).toEqual([
      expect.objectContaining({ outcome: 'not_configured', host: null, path: '/remote/{id}' }),
    ]);
  });

  it('when the item is unknown, 404 and the downstream is not asked', async () => {
    const { res } = await askStockLevel(app, '6f1c1a52-54a8-4c5e-9a55-6a3a3d8f0b7e');
    expect(res.status).toBe(404);
    expect(remote.hits).toHaveLength(0);
  });

  it('when the id is not a UUID (a traversal attempt), 400 and the downstream is not asked', async () => {
    const res = await request(app.url)
      .get('/fixture/widgets/..%2F..%2Fadmin/remote')
      .set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(400);
    expect(remote.hits).toHaveLength(0);
  });

  it('when the caller has no token or lacks widgets:read, 401/403 and the downstream is not asked', async () => {
    const path = `/fixture/widgets/${itemIds.get(app)!}/remote`;
    const anonymous = await request(app.url).get(path);
    const writer = await request(app.url)
      .get(path)
      .set('Authorization', `Bearer ${tokens.rs256({ scope: 'widgets:write' })}`);
    expect(anonymous.status).toBe(401);
    expect(writer.status).toBe(403);
    expect(remote.hits).toHaveLength(0);
  });
});
