import type { NextFunction, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Principal } from '../auth/principal';
import type { AccessReason } from '../security/access-reason';
import { RequestContext } from '../security/request-context';

/** The access line's messages: the only messages the log redacts as the server's own text. */
export const ACCESS_MESSAGES = {
  completed: 'request completed',
  rejected: 'request rejected',
  failed: 'request failed',
  aborted: 'request aborted',
} as const;

/** The closed reason of an access line whose client went away before the response finished. */
export type ClientAbortReason = 'client_aborted';
const CLIENT_ABORTED: ClientAbortReason = 'client_aborted';
/** Where a request the access log will write a line for keeps that line's request fields. */
const FIELDS = Symbol('leakproof.access-log');

/**
 * The request's fields on its access line, read when the request arrives (the remote address
 * is gone once a client disconnects). An instance, not a plain object: the log's redaction
 * walks plain objects with the request's credentials, which would let a client blank its own
 * method or address by sending it as a cookie value; these values are the server's.
 */
class RequestFields {
  constructor(
    readonly id: string,
    readonly method: string,
    readonly remoteAddress: string | undefined,
  ) {}
}

/**
 * One access-log line per request (docs/threat-model.md §2), written with the app's pino logger
 * when the response closes: the request (`req`: id, method, remote address) and the response
 * (`res`: status) through the allowlist serializers of LogOptions, the duration, the route
 * template, the principal and, for a refused or failed request, the filter's closed reason code
 * (ASVS 16.3.1: who and why, never how). Never headers, query strings, bodies or the raw path.
 *
 * The line is written once, on the response's `close`, which Node emits for every response,
 * finished or not: a response that was not completely handed to the connection is `aborted`,
 * with the reason `client_aborted`, whatever the server had reached by then. Nothing is bound
 * per request: no child logger, no second listener.
 */
export class AccessLogMiddleware {
  constructor(private readonly logger: Logger) {}

  readonly handle = (req: Request, res: Response, next: NextFunction): void => {
    const started = Date.now();
    const fields = new RequestFields(
      RequestContext.requestId() ?? randomUUID(),
      req.method,
      req.socket.remoteAddress,
    );
    (req as { [FIELDS]?: RequestFields })[FIELDS] = fields;
    res.once('close', () => {
      this.write(req, fields, res, started);
    });
    next();
  };

  private write(req: Request, fields: RequestFields, res: Response, started: number): void {
    const user = (req as { user?: Principal }).user;
    const aborted = AccessLogMiddleware.aborted(res);
    const line: Record<string, unknown> = {
      req: fields,
      res,
      ...(res.statusCode >= 500
        ? { err: new Error(`failed with status code ${String(res.statusCode)}`) }
        : {}),
      responseTime: Date.now() - started,
      route: RequestContext.routeOf(req),
      principal: user ? `${user.kind}:${user.subject}` : null,
    };
    const reason: AccessReason | null = aborted ? CLIENT_ABORTED : RequestContext.reasonOf(req);
    if (reason !== null) line.reason = reason;
    if (res.statusCode >= 500) {
      this.logger.error(line, aborted ? ACCESS_MESSAGES.aborted : ACCESS_MESSAGES.failed);
    } else if (aborted) {
      this.logger.warn(line, ACCESS_MESSAGES.aborted);
    } else if (res.statusCode >= 400) {
      this.logger.warn(line, ACCESS_MESSAGES.rejected);
    } else {
      this.logger.info(line, ACCESS_MESSAGES.completed);
    }
  }

  /**
   * The request id of a request this middleware will write the access line for; undefined for
   * one it never saw (refused by Node's parser, or before the middleware ran).
   */
  static requestIdOf(req: object): string | undefined {
    return (req as { [FIELDS]?: RequestFields })[FIELDS]?.id;
  }

  /** The connection closed before the response was completely handed to it. */
  static aborted(res: ServerResponse): boolean {
    return !res.writableFinished;
  }
}
