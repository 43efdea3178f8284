import type { LoggerService } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { HttpServerSettings } from './http.config';
import { AccessLogMiddleware } from '../logging/access-log.middleware';
import { RequestContext } from '../security/request-context';

/**
 * How often Node looks for connections past their headers or request timeout. Node's default
 * is 30 s, which would let a trickling client hold a connection up to 30 s past its timeout.
 */
const CONNECTIONS_CHECK_INTERVAL_MS = 1000;

/** Why Node's HTTP parser refused a request: the access-log line's reason code. */
export type RequestRefusalReason =
  'parse_error' | 'headers_too_large' | 'request_timeout' | 'chunk_extensions_too_large';

interface Refusal {
  status: 400 | 408 | 413 | 431;
  reason: RequestRefusalReason;
}

/** Node's clientError codes that are a refused request; any other is a transport error. */
const REFUSALS: ReadonlyMap<string, Refusal> = new Map([
  ['ERR_HTTP_REQUEST_TIMEOUT', { status: 408, reason: 'request_timeout' }],
  ['HPE_HEADER_OVERFLOW', { status: 431, reason: 'headers_too_large' }],
  ['HPE_CHUNK_EXTENSIONS_OVERFLOW', { status: 413, reason: 'chunk_extensions_too_large' }],
]);
const PARSE_ERROR: Refusal = { status: 400, reason: 'parse_error' };
/**
 * The parser's code for a connection the client closed mid-request: the client left, nothing
 * to answer; a request already in Express gets its own access line (`client_aborted`).
 */
const CLIENT_CLOSED = 'HPE_INVALID_EOF_STATE';
/**
 * Connections refused at the cap are reported as one line per this interval, with their count:
 * a flood at the cap would otherwise write a line per connection.
 */
const DROP_REPORT_MS = 1000;

/**
 * The HTTP server's own limits, below Express: bounds on how long a client may take to send a
 * request and how many connections it may hold (OWASP API4:2023; docs/threat-model.md §11), and
 * the answer to a request Node's parser refuses. configureApp applies it, before the server
 * listens, so production and the tests run the same server.
 *
 * A request Node refuses never reaches Express: no filter, no access logger. Node's default
 * answer is a bare 400/408/431 with no log line. Here it gets a fixed problem+json answer and
 * one access-log line with a closed reason code (`parse_error`, `headers_too_large`,
 * `request_timeout`). Security: never the bytes received (Node keeps them in `err.rawPacket`),
 * which may hold a credential; the answer and the line are the same whatever was sent.
 */
export class HttpServerHardening {
  /** The latest response of each connection, to tell whether one is still being answered. */
  private readonly responses = new WeakMap<Duplex, ServerResponse>();
  /** Connections already refused: Node's parser reports each later chunk again. */
  private readonly refused = new WeakSet<Duplex>();

  /** Connections refused at the cap since the last report, and the timer of the next one. */
  private dropped = 0;
  private dropReport: NodeJS.Timeout | undefined;

  private constructor(private readonly logger: LoggerService) {}

  static apply(server: Server, settings: HttpServerSettings, logger: LoggerService): void {
    if (server.listening) {
      // Node reads the check interval when the server starts listening.
      throw new Error('HttpServerHardening.apply must run before the server listens');
    }
    server.headersTimeout = settings.headersTimeoutMs;
    server.requestTimeout = settings.requestTimeoutMs;
    server.keepAliveTimeout = settings.keepAliveTimeoutMs;
    server.maxConnections = settings.maxConnections;
    // An option of http.createServer, but Nest's adapter creates the server; Node reads the
    // property when the server starts listening, so setting it before listen takes effect.
    (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval =
      CONNECTIONS_CHECK_INTERVAL_MS;
    const hardening = new HttpServerHardening(logger);
    server.on('request', hardening.onRequest);
    server.on('clientError', hardening.onClientError);
    server.on('drop', hardening.onDrop);
    server.on('close', hardening.reportDrops);
  }

  /**
   * Node closes a connection beyond `maxConnections` before any byte is read: no request, so no
   * access line. The operator still learns that the cap is refusing clients (OWASP API4:2023).
   */
  private readonly onDrop = (): void => {
    this.dropped++;
    this.dropReport ??= setTimeout(this.reportDrops, DROP_REPORT_MS).unref();
  };

  private readonly reportDrops = (): void => {
    clearTimeout(this.dropReport);
    this.dropReport = undefined;
    if (this.dropped === 0) return;
    this.logger.warn({
      msg: 'connections refused at HTTP_MAX_CONNECTIONS',
      event: 'connections_dropped',
      count: this.dropped,
    });
    this.dropped = 0;
  };

  private readonly onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    this.responses.set(req.socket, res);
  };

  private readonly onClientError = (error: Error, socket: Duplex): void => {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const parseError = code.startsWith('HPE_') && code !== CLIENT_CLOSED;
    const refusal = REFUSALS.get(code) ?? (parseError ? PARSE_ERROR : null);
    // A closed, reset or broken connection is no request: nothing to answer, nothing to log.
    if (refusal === null || this.refused.has(socket)) {
      socket.destroy();
      return;
    }
    this.refused.add(socket);
    const res = this.responses.get(socket);
    if (res && !res.writableEnded) {
      this.refuseInFlight(res, socket, refusal);
      return;
    }
    const requestId = randomUUID();
    const answered = socket.writable;
    if (answered) {
      socket.end(HttpServerHardening.rawResponse(refusal.status, requestId), () =>
        socket.destroy(),
      );
    } else {
      socket.destroy();
    }
    this.logRefusal(refusal, requestId, socket, answered);
  };

  /**
   * A request Express is still handling (a body that stopped arriving, a malformed chunk): the
   * refusal answers that request, so its own access-log line carries the status and reason.
   */
  private refuseInFlight(res: ServerResponse, socket: Duplex, refusal: Refusal): void {
    const req = res.req;
    const logged = AccessLogMiddleware.requestIdOf(req);
    const requestId = logged ?? randomUUID();
    RequestContext.recordReason(req, refusal.reason);
    if (res.headersSent || !socket.writable) {
      socket.destroy();
    } else {
      const body = HttpServerHardening.body(refusal.status, requestId);
      res.statusCode = refusal.status;
      res.setHeader('Connection', 'close');
      res.setHeader('Content-Type', 'application/problem+json');
      res.setHeader('Content-Length', Buffer.byteLength(body));
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('X-Request-Id', requestId);
      res.end(body);
    }
    // Before the access logger was attached, the request would have no line of its own.
    if (logged === undefined) this.logRefusal(refusal, requestId, socket, res.writableEnded);
  }

  /**
   * The access-log line, shaped like the access logger's: its serializers read the `req` and
   * `res` given here as they read a request's, so the line has the same fields and meaning.
   */
  private logRefusal(refusal: Refusal, requestId: string, socket: Duplex, answered: boolean): void {
    this.logger.warn({
      req: { id: requestId, method: undefined, socket },
      res: {
        statusCode: refusal.status,
        headersSent: answered,
        writableEnded: answered,
        writableFinished: answered,
      },
      route: null,
      principal: null,
      reason: refusal.reason,
      msg: answered ? 'request rejected' : 'request aborted',
    });
  }

  private static body(status: number, requestId: string): string {
    return JSON.stringify({ type: 'about:blank', title: STATUS_CODES[status], status, requestId });
  }

  private static rawResponse(status: number, requestId: string): string {
    const body = HttpServerHardening.body(status, requestId);
    return [
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
      'Connection: close',
      'Content-Type: application/problem+json',
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Cache-Control: no-store',
      'X-Content-Type-Options: nosniff',
      `X-Request-Id: ${requestId}`,
      '',
      body,
    ].join('\r\n');
  }
}
