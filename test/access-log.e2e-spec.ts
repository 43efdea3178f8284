import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { IncomingMessage, Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Public } from '../src/kit/auth/route-security.decorator';
import { closeStarted } from './support/cleanup';
import { logCapture } from './support/log-capture';
import { startPlantedFixtureApp } from './support/fixture/planted-fixture-app';
import { rawRequest } from './support/raw-http';
import { startTestApp, TestApp } from './support/test-app';
import { FixtureTokens } from './support/fixture/fixture-tokens';
import { FixtureModule } from './support/fixture/fixture.module';

/**
 * A gate a test opens: handlers below wait on it, so a request stays in flight exactly as long
 * as the test needs, with no timing involved.
 */
class Gate {
  private open!: () => void;
  readonly opened = new Promise<void>((resolve) => (this.open = resolve));
  release(): void {
    this.open();
  }
}

/** Handlers that take as long as the test wants; exist only in this test. */
@Controller('slow')
class SlowController {
  static entered = new Gate();
  static done = new Gate();

  @Public()
  @Get('wait')
  async wait(): Promise<object> {
    SlowController.entered.release();
    await SlowController.done.opened;
    return {};
  }

  @Public()
  @Get('stream')
  async stream(@Res() res: Response): Promise<void> {
    res.status(202);
    res.flushHeaders();
    SlowController.entered.release();
    await SlowController.done.opened;
    res.end();
  }
}

/**
 * Waits until the log holds a matching line. Jest's timeout ends the test; the loop ends by
 * itself well after that, so a failed test leaves nothing running.
 */
async function logLine(
  match: (l: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>> {
  for (let polls = 0; polls < 1000; polls++) {
    const line = logCapture.lines().find(match);
    if (line) return line;
    await sleep(20);
  }
  throw new Error('no matching log line');
}

/** A raw connection that sends `head`, for a test that ends it before the response does. */
function openSocket(url: string, head: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(head);
      resolve(socket);
    });
    socket.on('error', reject);
  });
}

/** The access log (docs/threat-model.md §2): allowlisted fields, route template, never the raw path. */
describe('LogOptions', () => {
  const tokens = new FixtureTokens();
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp(tokens.env(), [FixtureModule]);
  });
  afterAll(() => closeStarted(app));

  const accessLine = (status: number): Record<string, unknown> | undefined =>
    logCapture
      .lines()
      .find(
        (l) =>
          (l.msg === 'request completed' || l.msg === 'request rejected') &&
          (l.res as { statusCode?: number } | undefined)?.statusCode === status,
      );

  it('when an authenticated request completes, one line has method, route template, principal, status', async () => {
    logCapture.clear();
    const id = randomUUID();
    const res = await rawRequest(app.url, {
      method: 'GET',
      path: `/fixture/widgets/${id}?note=hello`,
      headers: {
        authorization: `Bearer ${tokens.rs256()}`,
        cookie: 'session=abc123456789',
        'user-agent': 'agent-xyz',
      },
    });
    expect(res.status).toBe(404);
    const line = accessLine(404);
    expect(line?.req).toEqual({
      id: expect.any(String) as unknown,
      method: 'GET',
      remoteAddress: '127.0.0.1',
    });
    expect(line).toMatchObject({ route: '/fixture/widgets/:id', principal: 'user:alice' });
    expect(logCapture.text()).not.toContain(id);
    expect(logCapture.text()).not.toMatch(/note=|hello|abc123456789|agent-xyz|authorization/i);
  });

  it('when a request is refused before authentication, the line has no principal', async () => {
    logCapture.clear();
    await rawRequest(app.url, { method: 'GET', path: '/fixture/widgets' });
    expect(accessLine(401)).toMatchObject({ route: '/fixture/widgets', principal: null });
  });

  it('when a request is refused, its one log line is the access line, with the reason code', async () => {
    const now = Math.floor(Date.now() / 1000);
    logCapture.clear();
    const res = await rawRequest(app.url, {
      method: 'GET',
      path: '/fixture/widgets',
      headers: { authorization: `Bearer ${tokens.rs256({ exp: now - 120, iat: now - 600 })}` },
    });
    expect(res.status).toBe(401);
    expect(logCapture.lines()).toEqual([
      expect.objectContaining({
        msg: 'request rejected',
        level: 40,
        reason: 'expired',
        route: '/fixture/widgets',
        res: { statusCode: 401 },
      }),
    ]);
  });

  it('when no route matches, the line has no route and no path', async () => {
    logCapture.clear();
    await rawRequest(app.url, { method: 'GET', path: '/unmapped/segment-xyz' });
    const line = accessLine(404);
    expect(line).toMatchObject({ route: null, principal: null });
    expect(logCapture.text()).not.toContain('segment-xyz');
  });

  it('when the body is malformed, the request still gets its access-log line and request id', async () => {
    logCapture.clear();
    const res = await rawRequest(app.url, {
      method: 'POST',
      path: '/fixture/widgets',
      headers: { 'content-type': 'application/json' },
      body: '{"name": broken',
    });
    expect(res.status).toBe(400);
    const { requestId } = JSON.parse(res.body) as { requestId: string };
    expect(accessLine(400)).toMatchObject({
      req: { id: requestId, method: 'POST' },
      reason: 'entity.parse.failed',
    });
  });
});

describe('LogOptions when the client goes away', () => {
  const tokens = new FixtureTokens();
  let app: TestApp;

  beforeAll(async () => {
    app = await startPlantedFixtureApp([SlowController], tokens.env());
  });
  afterAll(() => closeStarted(app));

  beforeEach(() => {
    SlowController.entered = new Gate();
    SlowController.done = new Gate();
    logCapture.clear();
  });
  afterEach(() => {
    SlowController.done.release();
  });

  const aborted = (l: Record<string, unknown>): boolean => l.msg === 'request aborted';

  it('when the client disconnects while the handler works, the line says aborted, with nothing sent', async () => {
    const socket = await openSocket(app.url, 'GET /slow/wait HTTP/1.1\r\nHost: x\r\n\r\n');
    await SlowController.entered.opened;
    socket.destroy();
    const line = await logLine(aborted);
    expect(line).toMatchObject({
      level: 40,
      reason: 'client_aborted',
      route: '/slow/wait',
      res: { statusCode: null, headersSent: false, ended: false },
    });
    expect(logCapture.lines().filter((l) => l.res !== undefined)).toEqual([line]);
  });

  it('when the client disconnects after the status was sent, the line has that status and not a success', async () => {
    const socket = await openSocket(app.url, 'GET /slow/stream HTTP/1.1\r\nHost: x\r\n\r\n');
    const statusLine = await new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
        if (text.includes('\r\n')) resolve(text.slice(0, text.indexOf('\r\n')));
      });
    });
    expect(statusLine).toMatch(/^HTTP\/1\.1 202 /);
    socket.destroy();
    const line = await logLine(aborted);
    expect(line).toMatchObject({
      level: 40,
      reason: 'client_aborted',
      route: '/slow/stream',
      res: { statusCode: 202, headersSent: true, ended: false },
    });
    expect(logCapture.lines().some((l) => l.msg === 'request completed')).toBe(false);
  });

  it('when the client disconnects in the middle of a body upload, the line says aborted', async () => {
    const server: Server = app.app.getHttpServer();
    const received = new Promise<void>((resolve) => {
      // Express rewrites `req.url` while it routes; the method tells this request apart.
      const onRequest = (req: IncomingMessage): void => {
        if (req.method !== 'POST') return;
        server.off('request', onRequest);
        resolve();
      };
      server.on('request', onRequest);
    });
    const socket = await openSocket(
      app.url,
      'POST /fixture/widgets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        `Authorization: Bearer ${tokens.rs256()}\r\nContent-Length: 4096\r\n\r\n{"name":"`,
    );
    await received;
    socket.destroy();
    const line = await logLine(aborted);
    expect(line).toMatchObject({ level: 40, reason: 'client_aborted', req: { method: 'POST' } });
    expect(logCapture.lines().some((l) => l.msg === 'request completed')).toBe(false);
  });
});
