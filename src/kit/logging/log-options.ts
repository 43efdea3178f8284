import type { ServerResponse } from 'node:http';
import type { LoggerOptions } from 'pino';
import type { Options } from 'pino-http';
import { AppConfig } from '../config/app-config';
import { Redactor } from '../security/redactor';
import { RequestContext } from '../security/request-context';
import { ACCESS_MESSAGES, AccessLogMiddleware } from './access-log.middleware';

/** A request as the `req` serializer reads it: the access line's fields, or a raw request. */
type LoggedRequest = {
  id?: unknown;
  method?: unknown;
  remoteAddress?: unknown;
  socket?: { remoteAddress?: unknown } | null;
};

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
 * Field names the server itself writes: kept as they are, so no credential a client chooses can
 * rename them. Any other key is redacted like a value.
 */
const FIELD_NAMES: ReadonlySet<string> = new Set([...SERVER_FIELDS, 'req', 'res', 'err', 'msg']);

/**
 * The access line's messages (AccessLogMiddleware), and so the only messages kept from
 * request-credential matching. Any other message is free text a caller may have built from
 * request data (`saw ${value}`), so it gets the full redaction, as a field outside
 * SERVER_FIELDS does.
 */
const ACCESS_MESSAGE_SET: ReadonlySet<unknown> = new Set(Object.values(ACCESS_MESSAGES));

/**
 * The app logger's pino options. Allowlist serializers (docs/threat-model.md §2): method, route
 * template, status, duration, request id, remote address — never headers, query strings, bodies
 * or the raw path (a path segment can carry a credential; the route template cannot). Every log
 * call passes through the redaction core, so a message or error that quotes a secret is scrubbed.
 */
export class LogOptions {
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
        // Security: a key can be built from request data (`{ [header]: value }`) as a value can.
        const key = FIELD_NAMES.has(k) ? k : redactor.redact(k);
        out[key] = walk(v, depth + 1, serverBuilt || (depth === 0 && own));
      }
      return out;
    };
    return (value, serverBuilt) => walk(value, 0, serverBuilt);
  }

  static build(config: AppConfig, redactor: Redactor): Options & LoggerOptions {
    const clean = LogOptions.cleaner(redactor);
    return {
      level: config.log.level,
      // nestjs-pino builds the logger through pino-http: the serializers get the values as
      // logged, not pino-std-serializers' copy of a request (headers included).
      wrapSerializers: false,
      serializers: {
        // Whatever is logged as `req`, only these three fields are written.
        req: (req: LoggedRequest) => ({
          id: req.id,
          method: req.method,
          remoteAddress: req.remoteAddress ?? req.socket?.remoteAddress,
        }),
        // An aborted response says what the server had reached: the status it had sent (null
        // when nothing was sent yet), and whether it had written the whole response.
        res: (res: ServerResponse) =>
          AccessLogMiddleware.aborted(res)
            ? {
                statusCode: res.headersSent ? res.statusCode : null,
                headersSent: res.headersSent,
                ended: res.writableEnded,
              }
            : { statusCode: res.statusCode },
        // An Error is reduced to its redacted summary; a summary passes through as it is.
        err: (err: unknown) => (err instanceof Error ? redactor.summarize(err) : err),
      },
      // A line logged while a request is served carries its request id as `req.id`, as the
      // access line does, so an event can be matched with its request's access line.
      mixin: (merged: object) => {
        const id = 'req' in merged ? undefined : RequestContext.requestId();
        return id === undefined ? {} : { req: { id } };
      },
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
