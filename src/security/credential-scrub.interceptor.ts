import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Observable } from 'rxjs';
import { Redactor } from './redactor';
import { CREDENTIAL_HEADERS } from './sensitive-names';

/**
 * Runs after the guards, so the credentials have been consumed. From here on no handler,
 * service, logger or forwarder can read them off the request (checklist N14, K10): the
 * credential headers are deleted. The response gets `Cache-Control: no-store` (ASVS 14.3.2),
 * and just before its headers are written, any header whose value holds a secret is dropped.
 * It looks at header values only, never the body, so its cost does not grow with the response.
 */
const CREDENTIAL_NAMES: ReadonlySet<string> = new Set(CREDENTIAL_HEADERS);

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
   * throws, which a `tap` after the handler never saw. (It costs the same: bench/ measured no
   * difference on the JWT or the API-key route.)
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
      if (this.redactor.containsSecret(text)) res.removeHeader(name);
    }
  }
}
