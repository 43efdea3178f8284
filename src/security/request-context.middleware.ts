import type { NextFunction, Request, Response } from 'express';
import { RequestContext } from './request-context';
import { CREDENTIAL_HEADERS } from './sensitive-names';

/**
 * First middleware of the pipeline, before body parsing: opens the request context and
 * registers every credential the request carries (credential headers, their token part,
 * cookie values, query values) so the redaction core can scrub those exact strings.
 */
export class RequestContextMiddleware {
  static readonly handle = (req: Request, _res: Response, next: NextFunction): void => {
    const credentials: string[] = [];
    for (const name of CREDENTIAL_HEADERS) {
      const value = req.headers[name];
      if (typeof value !== 'string') continue;
      credentials.push(value);
      const space = value.indexOf(' ');
      if (space > 0) credentials.push(value.slice(space + 1).trim());
      if (name === 'cookie') {
        for (const pair of value.split(';')) {
          const eq = pair.indexOf('=');
          if (eq > 0) credentials.push(pair.slice(eq + 1).trim());
        }
      }
    }
    const q = req.url.indexOf('?');
    if (q >= 0) {
      for (const pair of req.url.slice(q + 1).split('&')) {
        const value = pair.slice(pair.indexOf('=') + 1);
        credentials.push(value);
        try {
          credentials.push(decodeURIComponent(value.replace(/\+/g, ' ')));
        } catch {
          // A malformed escape: the raw form is registered already.
        }
      }
    }
    RequestContext.run(credentials, next);
  };
}
