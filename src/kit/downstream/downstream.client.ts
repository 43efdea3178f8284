import { HttpStatus, Injectable, OnModuleDestroy } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import { AppConfig } from '../config/app-config';
import type { Secret } from '../config/secret';
import { ProblemException } from '../security/problem.exception';
import { RequestContext } from '../security/request-context';
import { DownstreamPath } from './downstream-path';

export type DownstreamMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * One call to the downstream service. Security (docs/threat-model.md, section 1): there is no
 * `headers`, `url` or `query` field. The outbound headers are fixed by this client, so no caller
 * can forward the incoming Authorization, X-API-Key or Cookie, by design or by mistake, and no
 * caller can aim the server-held key at another host.
 */
export interface DownstreamCall<T> {
  method: DownstreamMethod;
  /** A constant template such as `/inventory/{id}`; the log shows it instead of the values. */
  path: string;
  /** One value per `{name}` in the template, each percent-encoded into its own segment. */
  params?: Readonly<Record<string, string>>;
  /** A JSON body that our code built (never the incoming request's body passed through). */
  body?: unknown;
  /** The response body is data: parsed as JSON and kept only as far as this schema says. */
  schema: z.ZodType<T>;
}

type Outcome =
  | 'ok'
  | 'not_configured'
  | 'error_status'
  | 'redirect'
  | 'bad_content_type'
  | 'bad_body'
  | 'too_large'
  | 'timeout'
  | 'unreachable'
  | 'failed';

/** The access-log reason of an outbound call that failed. */
export type DownstreamCallReason = `downstream_${Exclude<Outcome, 'ok'>}`;

type Attempt<T> =
  | { ok: true; value: T; status: number }
  | { ok: false; outcome: Exclude<Outcome, 'ok'>; status: number | null; code?: string };

interface Target {
  readonly baseUrl: URL;
  readonly apiKey: Secret;
  readonly timeoutMs: number;
  readonly pool: Pool;
}

/** Responses above this are cut off and refused (OWASP API4:2023, unrestricted consumption). */
const MAX_RESPONSE_BYTES = 1024 * 1024;

/** Connection failures where nothing answered: the dependency is unavailable, not faulty. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
const TIMEOUTS = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ABORT_ERR',
  'UND_ERR_ABORTED',
]);
const ERROR_CODE = /^[A-Z][A-Z0-9_]{1,40}$/;
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * The one client for calls to the downstream service (DOWNSTREAM_BASE_URL).
 *
 * Why undici (Node's own fetch runs on it) rather than axios/@nestjs/axios: an AxiosError keeps
 * `config.headers.Authorization`, the raw request line and the response, and Nest's exception
 * logging prints all of it, so one failed call puts the outbound key in the log. undici's
 * errors carry a code and a message, no request config. More important than the library: no
 * error object ever leaves this class. Every failure becomes a ProblemException with a fixed
 * reason, and the log gets method, host, path template, status and duration.
 *
 * Outbound request (Security: docs/threat-model.md section 1, ASVS 14.2.1):
 * - headers from an allowlist: Accept, Content-Type (with a body), X-Request-Id (our id, for
 *   tracing), and the server-held key as `Authorization: Bearer <key>` (RFC 6750 §2.1: a
 *   standard header every gateway treats as a credential and every redactor already masks);
 * - one undici Pool bound to the configured origin, so a request can only go there;
 * - no redirects: a Pool follows none unless the redirect interceptor is composed in, and it is
 *   not. A 3xx is a failure, because following `Location` to another host would hand it the key;
 * - timeouts on connect, on the wait for headers, between body chunks, and on the whole call;
 * - the response body is streamed and cut off past MAX_RESPONSE_BYTES (the Pool's
 *   maxResponseSize and a byte count here both enforce it).
 *
 * Response: only the validated body is returned. Downstream headers, status text and body are
 * never handed to the caller, so they cannot be copied to our response.
 *
 * Failures, and the status our client sees (problem+json, no downstream detail):
 * - 503: not configured, or nothing answered (connection refused, DNS failure): the dependency
 *   is unavailable, retry later;
 * - 504: no timely answer (connect, headers, body or overall timeout);
 * - 502: it answered, badly: an error or redirect status, a non-JSON or invalid body, too
 *   large, or the connection broke mid-answer.
 */
@Injectable()
export class DownstreamClient implements OnModuleDestroy {
  private readonly target: Target | null;

  constructor(
    config: AppConfig,
    @InjectPinoLogger(DownstreamClient.name) private readonly logger: PinoLogger,
  ) {
    const settings = config.downstream;
    this.target = settings && {
      baseUrl: settings.baseUrl,
      apiKey: settings.apiKey,
      timeoutMs: settings.timeoutMs,
      pool: new Pool(settings.baseUrl.origin, {
        connections: 32,
        connectTimeout: settings.timeoutMs,
        headersTimeout: settings.timeoutMs,
        bodyTimeout: settings.timeoutMs,
        maxResponseSize: MAX_RESPONSE_BYTES,
      }),
    };
  }

  async onModuleDestroy(): Promise<void> {
    await this.target?.pool.close();
  }

  async request<T>(call: DownstreamCall<T>): Promise<T> {
    const started = performance.now();
    const target = this.target;
    if (!target) {
      this.record(call, null, started, { ok: false, outcome: 'not_configured', status: null });
      throw DownstreamClient.problem('not_configured');
    }
    const path = DownstreamPath.build(target.baseUrl, call.path, call.params ?? {});
    const attempt = await DownstreamClient.attempt(target, call, path.path);
    this.record(call, target.baseUrl.host, started, attempt);
    if (attempt.ok) return attempt.value;
    throw DownstreamClient.problem(attempt.outcome);
  }

  private static async attempt<T>(
    target: Target,
    call: DownstreamCall<T>,
    path: string,
  ): Promise<Attempt<T>> {
    const hasBody = call.body !== undefined;
    const headers: Record<string, string> = {
      accept: 'application/json',
      authorization: `Bearer ${target.apiKey.reveal()}`,
    };
    if (hasBody) headers['content-type'] = 'application/json';
    const requestId = RequestContext.requestId();
    if (requestId) headers['x-request-id'] = requestId;

    let response: Dispatcher.ResponseData;
    try {
      response = await target.pool.request({
        method: call.method,
        path,
        headers,
        body: hasBody ? JSON.stringify(call.body) : null,
        signal: AbortSignal.timeout(target.timeoutMs),
      });
    } catch (error) {
      return DownstreamClient.classify(error, null);
    }

    const status = response.statusCode;
    // Security (ASVS 16.5.4; docs/threat-model.md, promise P8): discarding a body makes undici
    // emit 'error' on it; with no listener that event would crash the process. Read errors
    // still reach the loop below through its own iterator.
    response.body.on('error', DownstreamClient.ignore);
    const failed = (outcome: Exclude<Outcome, 'ok'>): Attempt<T> => {
      response.body.destroy();
      return { ok: false, outcome, status };
    };
    if (status >= 300 && status < 400) return failed('redirect');
    if (status < 200 || status >= 300) return failed('error_status');
    const type = response.headers['content-type'];
    if (typeof type !== 'string' || !JSON_TYPE.test(type)) return failed('bad_content_type');
    const declared = Number(response.headers['content-length']);
    if (declared > MAX_RESPONSE_BYTES) return failed('too_large');

    let text: string;
    try {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) return failed('too_large');
        chunks.push(chunk);
      }
      text = Buffer.concat(chunks).toString('utf8');
    } catch (error) {
      return DownstreamClient.classify(error, status);
    }

    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return { ok: false, outcome: 'bad_body', status };
    }
    const parsed = call.schema.safeParse(json);
    if (!parsed.success) return { ok: false, outcome: 'bad_body', status };
    return { ok: true, value: parsed.data, status };
  }

  private static readonly ignore = (): void => {
    // The body is being thrown away; what went wrong with it is already decided.
  };

  /** Reads only the error's name and code: never its message, cause or any other field. */
  private static classify(error: unknown, status: number | null): Attempt<never> {
    const fields = (error ?? {}) as { code?: unknown; name?: unknown };
    const code = typeof fields.code === 'string' && ERROR_CODE.test(fields.code) ? fields.code : '';
    let outcome: Exclude<Outcome, 'ok'> = 'failed';
    if (fields.name === 'TimeoutError' || TIMEOUTS.has(code)) outcome = 'timeout';
    else if (UNREACHABLE.has(code)) outcome = 'unreachable';
    else if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') outcome = 'too_large';
    return { ok: false, outcome, status, ...(code ? { code } : {}) };
  }

  /**
   * What the log learns about a call: method, host, path template, status, duration, outcome
   * and a closed error code. Never headers, query or path values, bodies or the error object
   * (docs/threat-model.md, promise P2).
   */
  private record(
    call: DownstreamCall<unknown>,
    host: string | null,
    started: number,
    attempt: Attempt<unknown>,
  ): void {
    const event = {
      event: 'downstream_call',
      method: call.method,
      host,
      path: call.path,
      status: attempt.status,
      durationMs: Math.round(performance.now() - started),
      outcome: attempt.ok ? 'ok' : attempt.outcome,
      ...(!attempt.ok && attempt.code ? { code: attempt.code } : {}),
    };
    if (attempt.ok) this.logger.debug(event, 'downstream call succeeded');
    else this.logger.warn(event, 'downstream call failed');
  }

  private static problem(outcome: Exclude<Outcome, 'ok'>): ProblemException {
    const reason: DownstreamCallReason = `downstream_${outcome}`;
    switch (outcome) {
      case 'not_configured':
      case 'unreachable':
        return new ProblemException(HttpStatus.SERVICE_UNAVAILABLE, {
          reason,
          detail: 'A service this operation depends on is unavailable.',
        });
      case 'timeout':
        return new ProblemException(HttpStatus.GATEWAY_TIMEOUT, {
          reason,
          detail: 'A service this operation depends on did not answer in time.',
        });
      default:
        return new ProblemException(HttpStatus.BAD_GATEWAY, {
          reason,
          detail: 'A service this operation depends on gave an unusable answer.',
        });
    }
  }
}
