import type { ServerResponse } from 'node:http';
import { Redactor } from './redactor';

/**
 * The headers that protect API responses, as name and value, set on every response (OWASP REST
 * Security Cheat Sheet; docs/threat-model.md §7): CSP with `frame-ancestors 'none'`, HSTS,
 * nosniff, X-Frame-Options DENY (consistent with `frame-ancestors 'none'`), the isolation
 * headers the docs page uses (CORP, COOP, Referrer-Policy), and `Cache-Control: no-store`
 * (ASVS 14.3.2: no response, error or success, is kept by a browser or proxy cache).
 *
 * The values are helmet's for the options in SecurityHeaders.HELMET_OPTIONS, fixed here once
 * instead of recomputed by helmet's middleware chain on each request; a test compares them with
 * helmet's own output so they cannot drift (security-headers.spec.ts).
 * Helmet's legacy headers for HTML in old browsers are left out: X-XSS-Protection (IE's
 * auditor), X-Download-Options (IE8), X-DNS-Prefetch-Control, X-Permitted-Cross-Domain-Policies
 * (Flash) and Origin-Agent-Cluster protect nothing a JSON API serves.
 */
const HEADERS: readonly (readonly [string, string])[] = [
  [
    'Content-Security-Policy',
    "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';" +
      "frame-ancestors 'none';img-src 'self' data:;object-src 'none';script-src 'self';" +
      "script-src-attr 'none';style-src 'self' https: 'unsafe-inline';upgrade-insecure-requests",
  ],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
  ['Referrer-Policy', 'no-referrer'],
  ['Strict-Transport-Security', 'max-age=31536000; includeSubDomains'],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
  ['Cache-Control', 'no-store'],
];

/** Lower-case name to the constant value set on every response: compared, never scanned. */
const CONSTANT_VALUES: ReadonlyMap<string, string> = new Map(
  HEADERS.map(([name, value]) => [name.toLowerCase(), value]),
);

/**
 * Response headers the server sets itself, from its own constants, counters and ids: the ones
 * above, Content-Type and Content-Length, X-Request-Id, Retry-After, the rate-limit headers,
 * WWW-Authenticate, CORS, Connection, Vary.
 *
 * Security: these are checked for configured secrets only, never for the request's credentials
 * or for secret shapes. A client chooses its credentials, so matching them here would let it
 * strip any of these headers by sending the header's value as a cookie or `?access_token=`: the
 * `no-store` of a response that carries a new key, its Content-Type (and with it nosniff's
 * protection), HSTS. Shapes cannot be chosen by a client, but they do match one constant: the
 * `Bearer realm=...` challenge of WWW-Authenticate. Nothing a client sends reaches these values.
 */
const SERVER_HEADERS: ReadonlySet<string> = new Set([
  ...CONSTANT_VALUES.keys(),
  'content-type',
  'content-length',
  'x-request-id',
  'retry-after',
  'www-authenticate',
  'connection',
  'vary',
]);
/** Name prefixes of server headers: the rate limiter's, CORS. */
const SERVER_HEADER_PREFIXES = ['x-ratelimit-', 'ratelimit', 'access-control-'] as const;

/**
 * Sets the security headers on every response and drops any response header whose value holds a
 * secret (docs/threat-model.md §1): a handler that copies an upstream key into a debug header,
 * then answers or throws, sends neither. A security header whose value holds one is set back to
 * its constant instead, so the response keeps its protection. Both happen when the headers are
 * about to be written, in the response's own `writeHead`, which Node calls once for every
 * response: so the error response the filter writes after a handler set a header and threw is
 * covered too.
 *
 * Installed once on the Express app's response prototype, which Express gives every response
 * it handles before the first middleware runs: no middleware, closure or listener per request.
 * A header a handler set itself keeps its value (a route may need its own Cache-Control); a
 * header a handler removed is set again. It looks at header values only, never the body, so its
 * cost does not grow with the response. Headers a handler passes to `writeHead` itself are its
 * own; nothing in this app does that.
 */
export class SecurityHeaders {
  /** What the headers above are helmet's output for (the spec compares them). */
  static readonly HELMET_OPTIONS = {
    contentSecurityPolicy: { directives: { frameAncestors: ["'none'"] } },
    xXssProtection: false,
    xDownloadOptions: false,
    xDnsPrefetchControl: false,
    xPermittedCrossDomainPolicies: false,
    originAgentCluster: false,
    xFrameOptions: { action: 'deny' },
    xPoweredBy: false,
  } as const;

  static readonly HEADERS = HEADERS;

  constructor(private readonly redactor: Redactor) {}

  /** `response`: the prototype Express gives this app's responses (`express().response`). */
  install(response: ServerResponse): void {
    // eslint-disable-next-line @typescript-eslint/unbound-method -- applied to each response below
    const { writeHead } = response;
    const apply = (res: ServerResponse): void => {
      this.apply(res);
    };
    response.writeHead = function (this: ServerResponse, ...args: unknown[]) {
      apply(this);
      return Reflect.apply(writeHead, this, args) as ServerResponse;
    };
  }

  /** What `writeHead` does first: the security headers in, the secret-bearing ones out. */
  private apply(res: ServerResponse): void {
    for (const [name, value] of HEADERS) {
      if (!res.hasHeader(name)) res.setHeader(name, value);
    }
    res.removeHeader('X-Powered-By');
    res.removeHeader('Server');
    for (const name of res.getHeaderNames()) {
      const value = res.getHeader(name);
      if (value === CONSTANT_VALUES.get(name)) continue;
      const text = Array.isArray(value) ? value.join(', ') : String(value);
      const secret = SecurityHeaders.isServerHeader(name)
        ? this.redactor.containsConfiguredSecret(text)
        : this.redactor.containsSecret(text);
      if (!secret) continue;
      // A security header goes back to its constant rather than away: a handler's Cache-Control
      // that quoted a secret must not leave that response cacheable.
      const constant = CONSTANT_VALUES.get(name);
      if (constant === undefined) res.removeHeader(name);
      else res.setHeader(name, constant);
    }
  }

  /** `getHeaderNames()` gives lower-case names. */
  private static isServerHeader(name: string): boolean {
    return (
      SERVER_HEADERS.has(name) || SERVER_HEADER_PREFIXES.some((prefix) => name.startsWith(prefix))
    );
  }
}
