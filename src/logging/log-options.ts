import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LoggerOptions } from 'pino';
import type { Options } from 'pino-http';
import type { Principal } from '../auth/principal';
import { AppConfig } from '../config/app-config';
import { Redactor } from '../security/redactor';
import { RequestContext } from '../security/request-context';

type RouteRequest = IncomingMessage & { id?: unknown; user?: Principal };
type Outcome = { route: string | null; principal: string | null; reason?: string };

/**
 * pino and pino-http options. Allowlist serializers (checklist L1-L5): method, route template,
 * status, duration, request id, remote address — never headers, query strings, bodies or the
 * raw path (a path segment can carry a credential; the route template cannot). Every log call
 * passes through the redaction core, so a message or error that quotes a secret is scrubbed.
 */
export class LogOptions {
  /**
   * Route template, principal and, for a refused or failed request, the filter's closed reason
   * code, for the access-log line (ASVS 16.3.1: who and why, never how).
   */
  private static outcome(req: RouteRequest): Outcome {
    const outcome: Outcome = {
      route: RequestContext.routeOf(req),
      principal: req.user ? `${req.user.kind}:${req.user.subject}` : null,
    };
    const reason = RequestContext.reasonOf(req);
    if (reason !== null) outcome.reason = reason;
    return outcome;
  }

  static build(config: AppConfig, redactor: Redactor): Options & LoggerOptions {
    const clean = (value: unknown, depth: number): unknown => {
      if (typeof value === 'string') return redactor.redact(value);
      if (value instanceof Error) return redactor.summarize(value);
      if (depth > 3 || value === null || typeof value !== 'object') return value;
      if (Array.isArray(value)) return value.map((v) => clean(v, depth + 1));
      // Only plain objects are walked; request/response objects go through the serializers.
      if (Object.getPrototypeOf(value) !== Object.prototype) return value;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = clean(v, depth + 1);
      return out;
    };
    return {
      level: config.logLevel,
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
        res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
        // An Error is reduced to its redacted summary; a summary passes through as it is.
        err: (err: unknown) => (err instanceof Error ? redactor.summarize(err) : err),
      },
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
      // Bound when the response finishes: the route and principal are known only then (the
      // `req` serializer runs at the start of the request, before routing).
      customSuccessObject: (req, _res, value: object) => ({ ...value, ...LogOptions.outcome(req) }),
      customErrorObject: (req, _res, _err, value: object) => ({
        ...value,
        ...LogOptions.outcome(req),
      }),
      customSuccessMessage: (_req, res) =>
        res.statusCode >= 400 ? 'request rejected' : 'request completed',
      customErrorMessage: () => 'request failed',
      hooks: {
        logMethod(args, method) {
          const cleaned = (args as unknown[]).map((a) => clean(a, 0));
          method.apply(this, cleaned as Parameters<typeof method>);
        },
      },
    };
  }
}
