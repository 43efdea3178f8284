import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LoggerOptions } from 'pino';
import type { Options } from 'pino-http';
import type { Principal } from '../auth/principal';
import { AppConfig } from '../config/app-config';
import type { AccessReason } from '../security/access-reason';
import { Redactor } from '../security/redactor';
import { RequestContext } from '../security/request-context';

type RouteRequest = IncomingMessage & { id?: unknown; user?: Principal };
type Outcome = { route: string | null; principal: string | null; reason?: AccessReason };

/**
 * Top-level log fields the server builds from its own closed vocabulary: event names, reason
 * codes, route templates, principals, key ids, scopes, and the access line's own fields.
 * Security: their values are matched against configured secrets and secret shapes, but never
 * against the request's credentials. A client chooses its credentials, so exact matching
 * would let it blank `event` or `reason` of its own log line (hiding it from alert rules) by
 * sending that field's value as a cookie or a `?access_token=` (docs/threat-model.md §2).
 */
const SERVER_FIELDS: ReadonlySet<string> = new Set([
  'event',
  'reason',
  'route',
  'principal',
  'keyId',
  'actor',
  'scopes',
  'method',
  'status',
  'statusCode',
  'requestId',
  'responseTime',
  'context',
]);

/**
 * The access line's messages, and so the only messages kept from request-credential matching.
 * Any other message is free text a caller may have built from request data (`saw ${value}`),
 * so it gets the full redaction, as a field outside SERVER_FIELDS does.
 */
const ACCESS_MESSAGES = {
  completed: 'request completed',
  rejected: 'request rejected',
  failed: 'request failed',
  aborted: 'request aborted',
} as const;
const ACCESS_MESSAGE_SET: ReadonlySet<unknown> = new Set(Object.values(ACCESS_MESSAGES));

/** The closed reason of an access line whose client went away before the response finished. */
export type ClientAbortReason = 'client_aborted';
const CLIENT_ABORTED: ClientAbortReason = 'client_aborted';

/**
 * pino and pino-http options. Allowlist serializers (docs/threat-model.md §2): method, route
 * template, status, duration, request id, remote address — never headers, query strings, bodies
 * or the raw path (a path segment can carry a credential; the route template cannot). Every log
 * call passes through the redaction core, so a message or error that quotes a secret is scrubbed.
 */
export class LogOptions {
  /**
   * Route template, principal and, for a refused or failed request, the filter's closed reason
   * code, for the access-log line (ASVS 16.3.1: who and why, never how). A request whose client
   * went away has the reason `client_aborted`, whatever the server had reached by then.
   */
  private static outcome(req: RouteRequest, res: ServerResponse): Outcome {
    const outcome: Outcome = {
      route: RequestContext.routeOf(req),
      principal: req.user ? `${req.user.kind}:${req.user.subject}` : null,
    };
    const reason = LogOptions.aborted(res) ? CLIENT_ABORTED : RequestContext.reasonOf(req);
    if (reason !== null) outcome.reason = reason;
    return outcome;
  }

  /**
   * The connection closed before the response was completely handed to it: pino-http logs on
   * whichever comes first, `finish` or `close`, and only a finished response reached the client.
   */
  private static aborted(res: ServerResponse): boolean {
    return !res.writableFinished;
  }

  /**
   * Walks what is logged and redacts every string in it. `serverBuilt` holds for the values of
   * SERVER_FIELDS and for an access-line message: those are redacted without the request's
   * credentials.
   */
  private static cleaner(redactor: Redactor): (value: unknown, serverBuilt: boolean) => unknown {
    const walk = (value: unknown, depth: number, serverBuilt: boolean): unknown => {
      if (typeof value === 'string') {
        return serverBuilt ? redactor.redactServerText(value) : redactor.redact(value);
      }
      if (value instanceof Error) return redactor.summarize(value);
      if (depth > 3 || value === null || typeof value !== 'object') return value;
      if (Array.isArray(value)) return value.map((v) => walk(v, depth + 1, serverBuilt));
      // Only plain objects are walked; request/response objects go through the serializers.
      if (Object.getPrototypeOf(value) !== Object.prototype) return value;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        const own = SERVER_FIELDS.has(k) || (k === 'msg' && ACCESS_MESSAGE_SET.has(v));
        out[k] = walk(v, depth + 1, serverBuilt || (depth === 0 && own));
      }
      return out;
    };
    return (value, serverBuilt) => walk(value, 0, serverBuilt);
  }

  static build(config: AppConfig, redactor: Redactor): Options & LoggerOptions {
    const clean = LogOptions.cleaner(redactor);
    return {
      level: config.log.level,
      genReqId: () => RequestContext.requestId() ?? randomUUID(),
      // One child logger per request (bound to the allowlisted `req` fields), not two.
      quietReqLogger: false,
      wrapSerializers: false,
      serializers: {
        req: (req: RouteRequest) => ({
          id: req.id,
          method: req.method,
          remoteAddress: req.socket.remoteAddress,
        }),
        // An aborted response says what the server had reached: the status it had sent (null
        // when nothing was sent yet), and whether it had written the whole response.
        res: (res: ServerResponse) =>
          LogOptions.aborted(res)
            ? {
                statusCode: res.headersSent ? res.statusCode : null,
                headersSent: res.headersSent,
                ended: res.writableEnded,
              }
            : { statusCode: res.statusCode },
        // An Error is reduced to its redacted summary; a summary passes through as it is.
        err: (err: unknown) => (err instanceof Error ? redactor.summarize(err) : err),
      },
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500
          ? 'error'
          : res.statusCode >= 400 || LogOptions.aborted(res)
            ? 'warn'
            : 'info',
      // Bound when the response finishes: the route and principal are known only then (the
      // `req` serializer runs at the start of the request, before routing).
      customSuccessObject: (req, res, value: object) => ({
        ...value,
        ...LogOptions.outcome(req, res),
      }),
      customErrorObject: (req, res, _err, value: object) => ({
        ...value,
        ...LogOptions.outcome(req, res),
      }),
      // Security: a request whose client went away is never logged as a success: the default
      // status 200 of a response that was never sent would read as one.
      customSuccessMessage: (_req, res) =>
        LogOptions.aborted(res)
          ? ACCESS_MESSAGES.aborted
          : res.statusCode >= 400
            ? ACCESS_MESSAGES.rejected
            : ACCESS_MESSAGES.completed,
      customErrorMessage: (_req, res) =>
        LogOptions.aborted(res) ? ACCESS_MESSAGES.aborted : ACCESS_MESSAGES.failed,
      hooks: {
        // pino's arguments: an optional object, then the message, then values for its
        // placeholders. Only the object's SERVER_FIELDS and an access-line message are
        // redacted as the server's own text.
        logMethod(args, method) {
          const cleaned = (args as unknown[]).map((a) => clean(a, ACCESS_MESSAGE_SET.has(a)));
          method.apply(this, cleaned as Parameters<typeof method>);
        },
      },
    };
  }
}
