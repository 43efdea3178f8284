import { randomBytes } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import helmet from 'helmet';
import { AppConfig } from '../config/app-config';
import { Redactor } from './redactor';
import { RequestContext } from './request-context';
import { SecurityHeaders } from './security-headers';

/** The headers a middleware sets on a fresh response, in the order it set them. */
function headersSetBy(
  middleware: (req: IncomingMessage, res: ServerResponse, next: () => void) => void,
): [string, string][] {
  const res = new ServerResponse(new IncomingMessage(new Socket()));
  middleware(res.req, res, () => undefined);
  return Object.entries(res.getHeaders()).map(([name, value]) => [name, String(value)]);
}

describe('SecurityHeaders', () => {
  const downstreamKey = `dk_${randomBytes(16).toString('hex')}`;
  const redactor = new Redactor(
    AppConfig.fromEnv({
      NODE_ENV: 'test',
      DATABASE_URL: ':memory:',
      JWT_SECRET: randomBytes(32).toString('base64url'),
      API_KEY_PEPPER: randomBytes(32).toString('base64url'),
      DOWNSTREAM_BASE_URL: 'http://127.0.0.1:9',
      DOWNSTREAM_API_KEY: downstreamKey,
    }),
    null,
  );

  /** A response whose prototype has the headers installed, as Express's app.response has. */
  function response(): ServerResponse {
    const proto = Object.create(ServerResponse.prototype) as ServerResponse;
    new SecurityHeaders(redactor).install(proto);
    const res = new ServerResponse(new IncomingMessage(new Socket()));
    Object.setPrototypeOf(res, proto);
    return res;
  }

  it("when compared with helmet's output for its options, the security headers are the same, name and value", () => {
    const ours = SecurityHeaders.HEADERS.filter(([name]) => name !== 'Cache-Control').map(
      ([name, value]) => [name.toLowerCase(), value],
    );
    const helmets = headersSetBy(helmet(SecurityHeaders.HELMET_OPTIONS));
    expect(Object.fromEntries(ours)).toEqual(Object.fromEntries(helmets));
  });

  it('when the list is read, every response is also no-store', () => {
    expect(SecurityHeaders.HEADERS).toContainEqual(['Cache-Control', 'no-store']);
  });

  it('when a response is written, it carries every security header, and none before', () => {
    const res = response();
    expect(res.getHeaderNames()).toEqual([]);
    res.writeHead(204);
    for (const [name, value] of SecurityHeaders.HEADERS) expect(res.getHeader(name)).toBe(value);
    expect(res.headersSent).toBe(true);
  });

  it('when a handler set its own value of a security header, it keeps it; one it removed is set again', () => {
    const res = response();
    res.setHeader('Cache-Control', 'private, max-age=60');
    res.writeHead(200);
    expect(res.getHeader('Cache-Control')).toBe('private, max-age=60');
    const removed = response();
    removed.removeHeader('X-Frame-Options');
    removed.writeHead(200);
    expect(removed.getHeader('X-Frame-Options')).toBe('DENY');
  });

  it('when writeHead is given headers, status and headers still reach the response', () => {
    const res = response();
    res.writeHead(201, { 'X-Own': 'yes' });
    expect(res.statusCode).toBe(201);
    expect(res.getHeader('X-Own')).toBe('yes');
    expect(res.getHeader('X-Content-Type-Options')).toBe('nosniff');
  });

  it('when a header holds a configured secret or a secret shape, it is dropped; the others stay', () => {
    const res = response();
    res.setHeader('X-Debug-Upstream', `key ${downstreamKey}`);
    res.setHeader('X-Debug-Token', 'Bearer abcdefghijklmnopqrstuvwxyz');
    res.setHeader('X-Request-Id', `id-${downstreamKey}`);
    res.setHeader('X-Powered-By', 'Express');
    res.setHeader('Server', 'node');
    res.setHeader('X-Harmless', 'ok');
    res.writeHead(200);
    expect(res.getHeaderNames().sort()).toEqual(
      [...SecurityHeaders.HEADERS.map(([n]) => n.toLowerCase()), 'x-harmless'].sort(),
    );
  });

  it("when a server header's value equals the request's credential, it stays; any other header goes", () => {
    const credential = 'opaque-session-value-123';
    RequestContext.run([credential], () => {
      const res = response();
      res.setHeader('Retry-After', credential);
      res.setHeader('X-RateLimit-Limit', credential);
      res.setHeader('X-Echo', credential);
      res.writeHead(429);
      expect(res.getHeader('Retry-After')).toBe(credential);
      expect(res.getHeader('X-RateLimit-Limit')).toBe(credential);
      expect(res.hasHeader('X-Echo')).toBe(false);
    });
  });
});
