import type { NextFunction, Request, Response } from 'express';
import { RequestContext } from './request-context';
import { CREDENTIAL_HEADERS, CREDENTIAL_QUERY_PARAMS } from './sensitive-names';

const CREDENTIAL_QUERY_NAMES: ReadonlySet<string> = new Set(CREDENTIAL_QUERY_PARAMS);

/**
 * First middleware of the pipeline, before body parsing: opens the request context and
 * registers every credential the request carries (credential headers, their token part,
 * cookie values, values of credential-named query parameters) so the redaction core can scrub
 * those exact strings.
 *
 * Security: only values that arrive where a credential goes are registered, never every value
 * the client sends. A registered value is masked wherever it appears, so registering arbitrary
 * query values let a client blank any field of its own log line or strip a response header by
 * sending that field's value (docs/threat-model.md §2, §4).
 */
export class RequestContextMiddleware {
  static readonly handle = (req: Request, _res: Response, next: NextFunction): void => {
    const credentials: string[] = [];
    for (const name of CREDENTIAL_HEADERS) {
      const value = req.headers[name];
      if (typeof value === 'string') {
        RequestContextMiddleware.register(credentials, name, value);
      } else if (Array.isArray(value)) {
        // Node keeps `set-cookie` as an array of its values; every other header is one string.
        for (const each of value) RequestContextMiddleware.register(credentials, name, each);
      }
    }
    const q = req.url.indexOf('?');
    if (q >= 0) {
      for (const pair of req.url.slice(q + 1).split('&')) {
        const eq = pair.indexOf('=');
        if (eq < 0 || !RequestContextMiddleware.isCredentialName(pair.slice(0, eq))) continue;
        const value = pair.slice(eq + 1);
        credentials.push(value);
        const decoded = RequestContextMiddleware.decode(value);
        if (decoded !== null) credentials.push(decoded);
      }
    }
    RequestContext.run(credentials, next);
  };

  /** A credential header's value, its token part after the scheme, and each cookie value. */
  private static register(credentials: string[], name: string, value: string): void {
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

  /**
   * Decoded and compared case-insensitively, as the guards compare names, and with any
   * bracket suffix removed: Express's query parser reads `token[]=x` as `token`.
   */
  private static isCredentialName(raw: string): boolean {
    const name = RequestContextMiddleware.decode(raw) ?? raw;
    const bracket = name.indexOf('[');
    return CREDENTIAL_QUERY_NAMES.has((bracket >= 0 ? name.slice(0, bracket) : name).toLowerCase());
  }

  /** Form decoding (`+` is a space); null for a malformed escape. */
  private static decode(text: string): string | null {
    try {
      return decodeURIComponent(text.replaceAll('+', ' '));
    } catch {
      return null;
    }
  }
}
