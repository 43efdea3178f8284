import type { NextFunction, Request, Response } from 'express';
import { Redactor } from './redactor';

/**
 * The headers that protect API responses, as name and value, set on every response (OWASP REST
 * Security Cheat Sheet; docs/threat-model.md §7): CSP with `frame-ancestors 'none'`, HSTS,
 * nosniff, X-Frame-Options DENY (consistent with `frame-ancestors 'none'`), the isolation
 * headers the docs page uses (CORP, COOP, Referrer-Policy), and `Cache-Control: no-store`
 * (ASVS 14.3.2: no response, error or success, is kept by a browser or proxy cache).
 *
 * The values are helmet's for the options in SecurityHeadersMiddleware.HELMET_OPTIONS, fixed
 * here once instead of recomputed by helmet's middleware chain on each request; a test compares
 * them with helmet's own output so they cannot drift (security-headers.middleware.spec.ts).
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

/** Lower-case name to the constant value this middleware sets: checked once, not per response. */
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
 * Sets the security headers on every response, before any route or error handler runs, and,
 * just before a response's headers are written, drops any header whose value holds a secret
 * (docs/threat-model.md §1): a handler that copies an upstream key into a debug header, then
 * answers or throws, sends neither. It looks at header values only, never the body, so its cost
 * does not grow with the response.
 */
export class SecurityHeadersMiddleware {
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

  readonly handle = (_req: Request, res: Response, next: NextFunction): void => {
    for (const [name, value] of HEADERS) res.setHeader(name, value);
    this.dropSecretHeadersOnWrite(res);
    next();
  };

  /**
   * Checks the response headers when they are about to be written (the response's own
   * `writeHead`, which Node calls for every response, once), so that the error response the
   * filter writes after a handler set a header and threw is covered too.
   * Headers a handler passes to `writeHead` itself are its own; nothing in this app does that.
   */
  private dropSecretHeadersOnWrite(res: Response): void {
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => Response;
    res.writeHead = ((...args: unknown[]) => {
      this.dropSecretHeaders(res);
      return writeHead(...args);
    }) as Response['writeHead'];
  }

  private dropSecretHeaders(res: Response): void {
    res.removeHeader('X-Powered-By');
    res.removeHeader('Server');
    for (const name of res.getHeaderNames()) {
      const value = res.getHeader(name);
      if (value === CONSTANT_VALUES.get(name)) continue;
      const text = Array.isArray(value) ? value.join(', ') : String(value);
      const secret = SecurityHeadersMiddleware.isServerHeader(name)
        ? this.redactor.containsConfiguredSecret(text)
        : this.redactor.containsSecret(text);
      if (secret) res.removeHeader(name);
    }
  }

  /** `getHeaderNames()` gives lower-case names. */
  private static isServerHeader(name: string): boolean {
    return (
      SERVER_HEADERS.has(name) || SERVER_HEADER_PREFIXES.some((prefix) => name.startsWith(prefix))
    );
  }
}
