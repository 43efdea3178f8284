import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { closeStarted } from './support/cleanup';
import { logCapture } from './support/log-capture';
import { rawRequest } from './support/raw-http';
import { idleSocket, rawSocket, SocketOutcome } from './support/raw-socket';
import { startTestApp, TestApp } from './support/test-app';
import { FixtureTokens } from './support/fixture/fixture-tokens';
import { FixtureModule } from './support/fixture/fixture.module';

/** Security headers and the CORS allowlist (docs/threat-model.md §7; ASVS 3.4.x, 14.3.2). */
describe('HTTP hardening', () => {
  const tokens = new FixtureTokens();
  let app: TestApp;
  let noCors: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ ...tokens.env(), CORS_ORIGINS: 'https://app.example.com' }, [
      FixtureModule,
    ]);
    noCors = await startTestApp(tokens.env(), [FixtureModule]);
  });
  afterAll(async () => {
    await closeStarted(app, noCors);
  });

  const header = (text: string, name: string): string | undefined =>
    text
      .split('\n')
      .find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))
      ?.slice(name.length + 1)
      .trim();

  it('when any response is sent, it has the security headers and no X-Powered-By', async () => {
    const res = await rawRequest(app.url, { method: 'GET', path: '/health/live' });
    expect(header(res.headerText, 'x-powered-by')).toBeUndefined();
    expect(header(res.headerText, 'x-content-type-options')).toBe('nosniff');
    expect(header(res.headerText, 'content-security-policy')).toContain("frame-ancestors 'none'");
    expect(header(res.headerText, 'referrer-policy')).toBe('no-referrer');
    expect(header(res.headerText, 'strict-transport-security')).toMatch(/max-age=\d{8}/);
    expect(header(res.headerText, 'x-frame-options')).toBe('DENY');
    expect(header(res.headerText, 'cross-origin-resource-policy')).toBe('same-origin');
    expect(header(res.headerText, 'cross-origin-opener-policy')).toBe('same-origin');
  });

  it('when any response is sent, it carries no legacy header for old browsers', async () => {
    const res = await rawRequest(app.url, { method: 'GET', path: '/health/live' });
    for (const legacy of [
      'x-xss-protection',
      'x-download-options',
      'x-dns-prefetch-control',
      'x-permitted-cross-domain-policies',
      'origin-agent-cluster',
    ]) {
      expect(header(res.headerText, legacy)).toBeUndefined();
    }
  });

  it('when an authenticated response is sent, it is marked no-store', async () => {
    const res = await rawRequest(app.url, {
      method: 'GET',
      path: '/fixture/widgets',
      headers: { authorization: `Bearer ${tokens.rs256()}` },
    });
    expect(res.status).toBe(200);
    expect(header(res.headerText, 'cache-control')).toBe('no-store');
  });

  it('when the Origin is allowlisted, it is echoed with Vary: Origin and auth headers are not exposed', async () => {
    const res = await rawRequest(app.url, {
      method: 'GET',
      path: '/health/live',
      headers: { origin: 'https://app.example.com' },
    });
    expect(header(res.headerText, 'access-control-allow-origin')).toBe('https://app.example.com');
    expect(header(res.headerText, 'vary')).toMatch(/Origin/);
    expect(header(res.headerText, 'access-control-allow-credentials')).toBeUndefined();
    const exposed = header(res.headerText, 'access-control-expose-headers') ?? '';
    expect(exposed.toLowerCase()).not.toMatch(/authorization|x-api-key|cookie/);
  });

  it.each(['https://evil.example', 'null', 'https://app.example.com.evil.example'])(
    'when the Origin is %s, no Access-Control-Allow-Origin is sent, on requests and preflights',
    async (origin) => {
      const get = await rawRequest(app.url, {
        method: 'GET',
        path: '/fixture/widgets',
        headers: { origin },
      });
      expect(header(get.headerText, 'access-control-allow-origin')).toBeUndefined();
      const preflight = await rawRequest(app.url, {
        method: 'OPTIONS',
        path: '/fixture/widgets',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization',
        },
      });
      expect(header(preflight.headerText, 'access-control-allow-origin')).toBeUndefined();
    },
  );

  it('when CORS_ORIGINS is empty, no CORS header is ever sent', async () => {
    const res = await rawRequest(noCors.url, {
      method: 'GET',
      path: '/health/live',
      headers: { origin: 'https://app.example.com' },
    });
    expect(res.headerText.toLowerCase()).not.toContain('access-control-');
  });
});

/** The server's own limits and its answer to what Node's parser refuses (threat model §11). */
describe('HttpServerHardening', () => {
  const tokens = new FixtureTokens();
  /** Generous: the timeouts below are 1-2 s; Node's own default would be 60-300 s. */
  const BOUND_MS = 15_000;
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp(
      {
        ...tokens.env(),
        HTTP_HEADERS_TIMEOUT_MS: '1000',
        HTTP_REQUEST_TIMEOUT_MS: '2000',
      },
      [FixtureModule],
    );
  });
  afterAll(async () => {
    // Undefined when beforeAll failed before the app started.
    await (app as TestApp | undefined)?.close();
  });

  /** Waits (bounded) for the access-log lines of refused requests, then returns them. */
  const refusals = async (): Promise<Record<string, unknown>[]> => {
    for (let i = 0; i < 100 && logCapture.failures().length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return logCapture.failures();
  };

  const statusOf = (outcome: SocketOutcome): string => outcome.received.split('\r\n')[0];

  it('when a client trickles its headers, it gets 408, the connection closes, one line says request_timeout', async () => {
    logCapture.clear();
    const outcome = await rawSocket(app.url, {
      head: 'GET /health/live HTTP/1.1\r\nHost: localhost\r\nX-Slow: ',
      trickle: { byte: 'a', everyMs: 100 },
      boundMs: BOUND_MS,
    });
    expect(outcome.endedBy).toBe('server');
    expect(statusOf(outcome)).toBe('HTTP/1.1 408 Request Timeout');
    expect(await refusals()).toEqual([
      expect.objectContaining({ msg: 'request rejected', reason: 'request_timeout', status: 408 }),
    ]);
  });

  it('when a client trickles its body, it gets 408, the connection closes, one line says request_timeout', async () => {
    logCapture.clear();
    const outcome = await rawSocket(app.url, {
      head:
        'POST /fixture/widgets HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
        'Content-Length: 100000\r\n\r\n{"name":"',
      trickle: { byte: 'a', everyMs: 100 },
      boundMs: BOUND_MS,
    });
    expect(outcome.endedBy).toBe('server');
    expect(statusOf(outcome)).toBe('HTTP/1.1 408 Request Timeout');
    expect(await refusals()).toEqual([
      expect.objectContaining({ reason: 'request_timeout', status: 408, route: null }),
    ]);
  });

  it('when a client sends part of a request and closes, it gets no answer and no line is logged', async () => {
    logCapture.clear();
    const outcome = await rawSocket(app.url, {
      head: 'GET /health/live HTTP/1.1\r\nHost: localhost\r\nX-Half: ',
      end: true,
      boundMs: BOUND_MS,
    });
    expect(outcome).toEqual({ received: '', endedBy: 'server' });
    expect(logCapture.failures()).toEqual([]);
  });

  it('when a client opens a connection and sends nothing, the connection closes', async () => {
    const outcome = await rawSocket(app.url, { head: '', boundMs: BOUND_MS });
    expect(outcome.endedBy).toBe('server');
  });

  const credential = `cred${randomBytes(16).toString('hex')}`;
  it.each([
    ['a malformed request line', `GET /a b?api_key=${credential} HTTP/1.1\r\nHost: x\r\n\r\n`],
    ['an unknown HTTP version', `GET /?api_key=${credential} HTTP/7.1\r\nHost: x\r\n\r\n`],
    [
      'an obs-fold header line',
      `GET / HTTP/1.1\r\nHost: x\r\nX-Note: Bearer ${credential}\r\n  folded\r\n\r\n`,
    ],
    [
      'a space before the colon',
      `GET / HTTP/1.1\r\nHost: x\r\nAuthorization : Bearer ${credential}\r\n\r\n`,
    ],
    [
      'a malformed chunk in the body',
      `POST /fixture/widgets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
        `Transfer-Encoding: chunked\r\n\r\nzz\r\n${credential}\r\n0\r\n\r\n`,
    ],
    [
      'oversized headers',
      `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${credential}${'a'.repeat(20_000)}\r\n\r\n`,
    ],
  ])(
    'when a request has %s, it gets a fixed problem answer and one access line, never the bytes',
    async (kind, bytes) => {
      logCapture.clear();
      const outcome = await rawSocket(app.url, { head: bytes, boundMs: BOUND_MS });
      const [status, reason] =
        kind === 'oversized headers' ? [431, 'headers_too_large'] : [400, 'parse_error'];
      const [head, body] = outcome.received.split('\r\n\r\n');
      expect(outcome.endedBy).toBe('server');
      expect(head.split('\r\n')[0]).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
      expect(head).toMatch(/^Connection: close$/im);
      expect(head).toMatch(/^Content-Type: application\/problem\+json/im);
      expect(JSON.parse(body)).toEqual({
        type: 'about:blank',
        title: status === 431 ? 'Request Header Fields Too Large' : 'Bad Request',
        status,
        requestId: expect.any(String) as unknown,
      });
      expect(outcome.received).not.toContain(credential);
      expect(await refusals()).toEqual([
        expect.objectContaining({ msg: 'request rejected', level: 40, reason, status }),
      ]);
      expect(logCapture.text()).not.toContain(credential);
    },
  );

  it('when the configuration sets the timeouts, the server carries them', () => {
    const server = app.app.getHttpServer();
    expect(server.headersTimeout).toBe(1000);
    expect(server.requestTimeout).toBe(2000);
    expect(server.keepAliveTimeout).toBe(5000);
    expect(server.maxConnections).toBe(1000);
  });

  describe('with a connection cap', () => {
    let capped: TestApp;
    const open: Socket[] = [];

    beforeAll(async () => {
      capped = await startTestApp({ ...tokens.env(), HTTP_MAX_CONNECTIONS: '2' }, [FixtureModule]);
    });
    afterAll(async () => {
      for (const socket of open) socket.destroy();
      await (capped as TestApp | undefined)?.close();
    });

    it('when the cap is reached, a further connection is closed and the open ones still work', async () => {
      const server = capped.app.getHttpServer();
      expect(server.maxConnections).toBe(2);
      open.push(await idleSocket(capped.url), await idleSocket(capped.url));
      for (let i = 0; i < 250; i++) {
        const count = await new Promise<number>((resolve) => {
          server.getConnections((_error, n) => {
            resolve(n);
          });
        });
        if (count === 2) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const beyond = await rawSocket(capped.url, {
        head: 'GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n',
        boundMs: BOUND_MS,
      });
      expect(beyond).toEqual({ received: '', endedBy: 'server' });
      // One warning line with the count, however many were refused in its interval.
      let report: Record<string, unknown> | undefined;
      for (let i = 0; i < 500 && !report; i++) {
        report = logCapture.lines().find((l) => l.event === 'connections_dropped');
        if (!report) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(report).toMatchObject({ level: 40, count: 1 });

      const first = open[0];
      const answer = new Promise<string>((resolve) => {
        first.once('data', (chunk: Buffer) => {
          resolve(chunk.toString('latin1'));
        });
      });
      first.write('GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n');
      expect((await answer).split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
    });
  });
});
