import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { Request, Response } from 'express';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import type { AccessReason } from './access-reason';
import { ProblemException } from './problem.exception';
import { Redactor } from './redactor';
import { RequestContext } from './request-context';

/**
 * The `type` codes body-parser (2.x) and raw-body give their errors, and our own JSON depth
 * refusal (JsonBodyRefused, json-depth.ts): the one library vocabulary logged as it is.
 */
const BODY_PARSER_TYPES = [
  'charset.unsupported',
  'encoding.unsupported',
  'entity.parse.failed',
  'entity.too.deep',
  'entity.too.large',
  'entity.verify.failed',
  'parameters.too.many',
  'querystring.parse.rangeError',
  'request.aborted',
  'request.size.invalid',
  'stream.encoding.set',
  'stream.not.readable',
] as const;
const BODY_PARSER_TYPE_SET: ReadonlySet<unknown> = new Set<string>(BODY_PARSER_TYPES);

/** RFC 9457 §3: the media type of a problem details object. */
const PROBLEM_JSON = 'application/problem+json; charset=utf-8';

export type BodyParserReason = (typeof BODY_PARSER_TYPES)[number];

/**
 * The reason of an error no code of ours gave one: any other library or Nest error, by status
 * class. Security: never its class name or `type`, which a dependency chooses and may change.
 */
export type LibraryErrorReason = BodyParserReason | 'client_error' | 'unexpected_error';

export interface ProblemBody {
  type: 'about:blank';
  title: string;
  status: number;
  detail?: string;
  errors?: readonly { field: string; rule: string }[];
  requestId: string;
}

/**
 * The last word on every error: HttpExceptions, unknown errors, Nest's 404 for unmapped
 * routes, body-parser and URI-decoding errors, passport failures. The client gets RFC 9457
 * problem+json with the fixed title of its status and a request id; only a ProblemException
 * adds a `detail` or field errors, which our own code wrote. Library messages, URLs, stacks and
 * input never reach the body (docs/threat-model.md, promise P4 and section 3; ASVS 16.5.1).
 *
 * The server log: a client error (4xx) adds its reason code to the request's one access-log line
 * (at warn) and no message, since a client error's message is built from client input; a
 * server error (5xx) also logs its own event at error with a redacted summary of the exception.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  constructor(
    private readonly redactor: Redactor,
    @InjectPinoLogger('ProblemDetailsFilter') private readonly logger: PinoLogger,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const res = http.getResponse<Response>();
    const req = http.getRequest<Request>();
    const status = ProblemDetailsFilter.statusOf(exception);
    const requestId = RequestContext.requestId() ?? 'none';
    const body: ProblemBody = {
      type: 'about:blank',
      title: STATUS_CODES[status] ?? 'Error',
      status,
      requestId,
    };
    if (exception instanceof ProblemException) {
      if (exception.problem.detail) body.detail = exception.problem.detail;
      body.errors = exception.problem.errors;
    }
    this.log(exception, status, requestId, req);

    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (exception instanceof ProblemException && exception.problem.headers) {
      for (const [name, value] of Object.entries(exception.problem.headers)) {
        res.setHeader(name, value);
      }
    }
    // Written directly, not through Express's send(): the body is already the final JSON, so
    // its content negotiation, ETag and freshness steps have nothing to do on an error.
    const payload = JSON.stringify(body);
    res.statusCode = status;
    res.setHeader('Content-Type', PROBLEM_JSON);
    res.setHeader('Content-Length', Buffer.byteLength(payload));
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Request-Id', requestId);
    // No body for HEAD: Node's ServerResponse drops it (the server does not set
    // rejectNonStandardBodyWrites), and the headers stay those of GET (RFC 9110 §9.3.2).
    res.end(payload);
  }

  private log(exception: unknown, status: number, requestId: string, req: Request): void {
    const reason = ProblemDetailsFilter.reasonOf(exception);
    RequestContext.recordReason(req, reason);
    if (status < 500) return;
    const event = {
      event: 'request_failed',
      requestId,
      status,
      method: req.method,
      route: RequestContext.routeOf(req),
      reason,
      err: this.redactor.summarize(exception),
    };
    this.logger.error(event, 'request failed');
  }

  static statusOf(exception: unknown): number {
    if (exception instanceof HttpException) return exception.getStatus();
    const status = (exception as { status?: unknown; statusCode?: unknown } | null)?.status;
    if (typeof status === 'number' && status >= 400 && status <= 499) return status;
    return 500;
  }

  /**
   * A closed, non-echoing reason code: our own, a known body-parser `type` (Nest wraps the
   * parser's error as the `cause` of an HttpException), or a fixed code by status class.
   */
  static reasonOf(exception: unknown): AccessReason {
    if (exception instanceof ProblemException && exception.problem.reason) {
      return exception.problem.reason;
    }
    const cause = exception instanceof Error ? exception.cause : undefined;
    const type = (cause as { type?: unknown } | undefined)?.type;
    if (BODY_PARSER_TYPE_SET.has(type)) return type as BodyParserReason;
    return ProblemDetailsFilter.statusOf(exception) < 500 ? 'client_error' : 'unexpected_error';
  }
}
