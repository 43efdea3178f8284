import { randomUUID } from 'node:crypto';
import { closeStarted } from './support/cleanup';
import { logCapture } from './support/log-capture';
import { rawRequest } from './support/raw-http';
import { startTestApp, TestApp } from './support/test-app';
import { TokenFactory } from './support/tokens';

/** The access log (checklist L1-L5): allowlisted fields, route template, never the raw path. */
describe('LogOptions', () => {
  const tokens = new TokenFactory();
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp(tokens.env());
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
      path: `/items/${id}?note=hello`,
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
    expect(line).toMatchObject({ route: '/items/:id', principal: 'user:alice' });
    expect(logCapture.text()).not.toContain(id);
    expect(logCapture.text()).not.toMatch(/note=|hello|abc123456789|agent-xyz|authorization/i);
  });

  it('when a request is refused before authentication, the line has no principal', async () => {
    logCapture.clear();
    await rawRequest(app.url, { method: 'GET', path: '/items' });
    expect(accessLine(401)).toMatchObject({ route: '/items', principal: null });
  });

  it('when a request is refused, its one log line is the access line, with the reason code', async () => {
    const now = Math.floor(Date.now() / 1000);
    logCapture.clear();
    const res = await rawRequest(app.url, {
      method: 'GET',
      path: '/items',
      headers: { authorization: `Bearer ${tokens.rs256({ exp: now - 120, iat: now - 600 })}` },
    });
    expect(res.status).toBe(401);
    expect(logCapture.lines()).toEqual([
      expect.objectContaining({
        msg: 'request rejected',
        level: 40,
        reason: 'expired',
        route: '/items',
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
      path: '/items',
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
