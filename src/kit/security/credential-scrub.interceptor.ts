import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Observable } from 'rxjs';
import { Redactor } from './redactor';
import { CREDENTIAL_HEADERS } from './sensitive-names';

const CREDENTIAL_NAMES: ReadonlySet<string> = new Set(CREDENTIAL_HEADERS);

/**
 * Response headers the server sets itself, from its own constants, counters and ids: helmet's,
 * Cache-Control, Content-Type and Content-Length, X-Request-Id, Retry-After, the rate-limit
 * headers, WWW-Authenticate, CORS, Connection.
 *
 * Security: these are checked for configured secrets only, never for the request's credentials
 * or for secret shapes. A client chooses its credentials, so matching them here would let it
 * strip any of these headers by sending the header's value as a cookie or `?access_token=`: the
 * `no-store` of a response that carries a new key, its Content-Type (and with it nosniff's
 * protection), HSTS. Shapes cannot be chosen by a client, but they do match one constant: the
 * `Bearer realm=...` challenge of WWW-Authenticate. Nothing a client sends reaches these values.
 */
const SERVER_HEADERS: ReadonlySet<string> = new Set([
  'cache-control',
  'content-type',
  'content-length',
  'content-security-policy',
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
  'cross-origin-embedder-policy',
  'origin-agent-cluster',
  'referrer-policy',
  'strict-transport-security',
  'x-content-type-options',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-frame-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
  'x-request-id',
  'retry-after',
  'www-authenticate',
  'connection',
  'vary',
]);
/** Name prefixes of server headers: the throttler's per-throttler suffixes, CORS. */
const SERVER_HEADER_PREFIXES = ['x-ratelimit-', 'ratelimit', 'access-control-'] as const;

/**
 * Runs after the guards, so the credentials have been consumed. From here on no handler,
 * service, logger or forwarder can read them off the request (docs/threat-model.md §1, §2): the
 * credential headers are deleted. The response gets `Cache-Control: no-store` (ASVS 14.3.2),
 * and just before its headers are written, any header whose value holds a secret is dropped.
 * It looks at header values only, never the body, so its cost does not grow with the response.
 */

@Injectable()
export class CredentialScrubInterceptor implements NestInterceptor {
  constructor(private readonly redactor: Redactor) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<Request>();
    const res = context.switchToHttp().getResponse<Response>();
    for (const name of CREDENTIAL_HEADERS) req.headers[name] = undefined;
    const raw = req.rawHeaders;
    for (let i = raw.length - 2; i >= 0; i -= 2) {
      if (CREDENTIAL_NAMES.has(raw[i].toLowerCase())) raw.splice(i, 2);
    }
    res.setHeader('Cache-Control', 'no-store');
    this.dropSecretHeadersOnWrite(res);
    return next.handle();
  }

  /**
   * Checks the response headers when they are about to be written (the response's own
   * `writeHead`, which Node calls for every response, once), not after the handler returns:
   * that also covers the error response the filter writes when a handler sets a header and then
   * throws, which a `tap` after the handler never saw.
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
      const text = Array.isArray(value) ? value.join(', ') : String(value);
      const secret = CredentialScrubInterceptor.isServerHeader(name)
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
