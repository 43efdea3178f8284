import { randomBytes } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import helmet from 'helmet';
import { RequestContext } from './request-context';
import { SecurityHeaders } from './security-headers';
import { specRedactor } from './redactor.spec-support';

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
  const redactor = specRedactor(downstreamKey);

  /** A response whose prototype has the headers installed, as Express's app.response has. */
  function response(using = redactor): ServerResponse {
    const proto = Object.create(ServerResponse.prototype) as ServerResponse;
    new SecurityHeaders(using).install(proto);
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

  it("when a handler's own value of a security header holds a secret, the header is sent with its constant value instead", () => {
    const res = response();
    res.setHeader('Cache-Control', `private, max-age=60, x-${downstreamKey}`);
    res.setHeader('Referrer-Policy', `origin ${downstreamKey}`);
    res.writeHead(200);
    expect(res.getHeader('Cache-Control')).toBe('no-store');
    expect(res.getHeader('Referrer-Policy')).toBe('no-referrer');
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
    // Each header the server sets from its own values, one of each name family.
    const serverHeaders = [
      'Content-Type',
      'Content-Length',
      'X-Request-Id',
      'Retry-After',
      'WWW-Authenticate',
      'Connection',
      'Vary',
      'X-RateLimit-Limit',
      'RateLimit-Policy',
      'Access-Control-Allow-Origin',
    ];
    RequestContext.run([credential], () => {
      const res = response();
      for (const name of serverHeaders) res.setHeader(name, credential);
      res.setHeader('X-Echo', credential);
      res.writeHead(429);
      for (const name of serverHeaders) {
        expect([name, res.getHeader(name)]).toEqual([name, credential]);
      }
      expect(res.hasHeader('X-Echo')).toBe(false);
    });
  });

  it("when the request's credential equals a security header's value, the header is still sent", () => {
    const values = SecurityHeaders.HEADERS.map(([, value]) => value);
    RequestContext.run(values, () => {
      const res = response();
      res.writeHead(200);
      for (const [name, value] of SecurityHeaders.HEADERS) {
        expect([name, res.getHeader(name)]).toEqual([name, value]);
      }
    });
  });

  it("when a configured secret occurs in a security header's value, the header is still sent: its value is ours, compared and never scanned", () => {
    // A development secret (production refuses one this weak, secret-source.ts) that is the
    // value of a security header.
    const hsts = new Map(SecurityHeaders.HEADERS).get('Strict-Transport-Security') ?? '';
    const weak = specRedactor(hsts);
    expect(weak.containsConfiguredSecret(hsts)).toBe(true);
    const res = response(weak);
    res.setHeader('X-Debug', `upstream sent ${hsts}`);
    res.writeHead(200);
    expect(res.getHeader('Strict-Transport-Security')).toBe(hsts);
    expect(res.hasHeader('X-Debug')).toBe(false);
  });

  it('when a header is set as a list, it is checked as the one combined value a client reads (RFC 9110 §5.3)', () => {
    const credential = 'first-part-1, second-part-2';
    RequestContext.run([credential], () => {
      const res = response();
      res.setHeader('X-Upstream', ['ok', `key ${downstreamKey}`]);
      res.setHeader('X-Echo', ['first-part-1', 'second-part-2']);
      res.setHeader('X-Tags', ['alpha', 'beta']);
      res.writeHead(200);
      expect(res.hasHeader('X-Upstream')).toBe(false);
      expect(res.hasHeader('X-Echo')).toBe(false);
      expect(res.getHeader('X-Tags')).toEqual(['alpha', 'beta']);
    });
  });
});
