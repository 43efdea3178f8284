import {
  BadRequestException,
  HttpException,
  HttpStatus,
  InternalServerErrorException,
  NotFoundException,
} from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { ExpressAdapter } from '@nestjs/platform-express';
import express, { type NextFunction, type Request, type Response } from 'express';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AccessReason } from './access-reason';
import { ProblemDetailsFilter } from './problem-details.filter';
import { ProblemException } from './problem.exception';
import { RequestContext } from './request-context';
import { specRedactor } from './redactor.spec-support';
import { pinoCapture } from '../logging/pino-capture.spec-support';

/** An error as body-parser and raw-body make it (http-errors): a status, `expose` and a `type`. */
function bodyParserError(status: number, type: string): Error {
  return Object.assign(new Error(`refused: ${type}`), {
    status,
    statusCode: status,
    expose: status < 500,
    type,
  });
}

/**
 * The reason code the filter logs for an error, with library errors made by the libraries
 * themselves (body-parser, Express's router) on a loopback server and wrapped by Nest's own
 * Express adapter, as they reach the filter in the app.
 */
describe('ProblemDetailsFilter.reasonOf', () => {
  const adapter = new ExpressAdapter();
  let server: Server | undefined;
  let base = '';
  let caught: unknown;

  beforeAll(async () => {
    const app = express();
    app.post('/json', express.json({ limit: 64 }), (_req, res) => {
      res.status(204).end();
    });
    app.get('/items/:id', (_req, res) => {
      res.status(204).end();
    });
    app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      caught = error;
      res.status(204).end();
    });
    server = createServer(app).listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    if (server) await new Promise((resolve) => server?.close(resolve));
  });

  /** The error the library raised for this request, as Nest hands it to the filter. */
  const libraryError = async (path: string, init: RequestInit = {}): Promise<unknown> => {
    caught = undefined;
    await fetch(`${base}${path}`, init);
    expect(caught).toBeInstanceOf(Error);
    return adapter.mapException(caught);
  };
  const post = (body: string): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });

  it('when body-parser refuses a body, the reason is its known type', async () => {
    const tooLarge = await libraryError('/json', post(`{"a":"${'x'.repeat(200)}"}`));
    expect(ProblemDetailsFilter.reasonOf(tooLarge)).toBe('entity.too.large');
    const malformed = await libraryError('/json', post('{"a":'));
    expect(ProblemDetailsFilter.reasonOf(malformed)).toBe('entity.parse.failed');
  });

  it('when a library 4xx error has no known type, the reason is client_error, never its class name', async () => {
    const badPath = await libraryError('/items/%FF');
    expect(ProblemDetailsFilter.reasonOf(badPath)).toBe('client_error');
    const newType = Object.assign(new RangeError('from a newer body-parser'), {
      status: 400,
      statusCode: 400,
      expose: true,
      type: 'entity.future.kind',
    });
    expect(ProblemDetailsFilter.reasonOf(adapter.mapException(newType))).toBe('client_error');
    expect(ProblemDetailsFilter.reasonOf(new NotFoundException())).toBe('client_error');
  });

  it('when an unknown error is a server fault, the reason is unexpected_error', () => {
    class VendorDriverError extends Error {}
    expect(ProblemDetailsFilter.reasonOf(new VendorDriverError('boom'))).toBe('unexpected_error');
    expect(ProblemDetailsFilter.reasonOf('a thrown string')).toBe('unexpected_error');
  });

  it('when our own ProblemException carries a reason, that reason is logged', () => {
    const refused = new ProblemException(HttpStatus.TOO_MANY_REQUESTS, { reason: 'rate_limited' });
    expect(ProblemDetailsFilter.reasonOf(refused)).toBe('rate_limited');
  });

  it.each([
    ['charset.unsupported', 415],
    ['encoding.unsupported', 415],
    ['entity.parse.failed', 400],
    ['entity.too.deep', 400],
    ['entity.too.large', 413],
    ['entity.verify.failed', 403],
    ['parameters.too.many', 413],
    ['querystring.parse.rangeError', 400],
    ['request.aborted', 400],
    ['request.size.invalid', 400],
  ])(
    'when body-parser refuses a body with %s, the status is %i and the reason is that type',
    (type, status) => {
      const mapped = adapter.mapException(bodyParserError(status, type));
      expect(ProblemDetailsFilter.statusOf(mapped)).toBe(status);
      expect(ProblemDetailsFilter.reasonOf(mapped)).toBe(type);
    },
  );

  it.each(['stream.encoding.set', 'stream.not.readable'])(
    'when raw-body reports its own fault (%s, a 500), Nest leaves it unwrapped and it is a server error',
    (type) => {
      const mapped = adapter.mapException(bodyParserError(500, type));
      expect(ProblemDetailsFilter.statusOf(mapped)).toBe(500);
      expect(ProblemDetailsFilter.reasonOf(mapped)).toBe('unexpected_error');
    },
  );

  it('when a known type is the cause of an HttpException, that type is the reason, whatever the status', () => {
    const cause = bodyParserError(500, 'stream.not.readable');
    const wrapped = new InternalServerErrorException('read failed', { cause });
    expect(ProblemDetailsFilter.reasonOf(wrapped)).toBe('stream.not.readable');
  });

  it('when something that is not an Error carries a known cause, the reason goes by its status only', () => {
    const lookalike = { status: 413, cause: bodyParserError(413, 'entity.too.large') };
    expect(ProblemDetailsFilter.reasonOf(lookalike)).toBe('client_error');
  });

  it('when our own ProblemException has no reason, the reason goes by its status class', () => {
    expect(ProblemDetailsFilter.reasonOf(new ProblemException(HttpStatus.NOT_FOUND))).toBe(
      'client_error',
    );
    expect(ProblemDetailsFilter.reasonOf(new ProblemException(HttpStatus.BAD_GATEWAY))).toBe(
      'unexpected_error',
    );
  });
});

describe('ProblemDetailsFilter.statusOf', () => {
  const withStatus = (status: unknown): Error =>
    Object.assign(new Error('from a library'), { status });

  it('when an HttpException is thrown, the status is its own', () => {
    expect(ProblemDetailsFilter.statusOf(new NotFoundException())).toBe(404);
    expect(ProblemDetailsFilter.statusOf(new HttpException('gone away', 503))).toBe(503);
  });

  it('when another error carries a 4xx status, that status; any other status, or none, is 500', () => {
    expect(ProblemDetailsFilter.statusOf(withStatus(400))).toBe(400);
    expect(ProblemDetailsFilter.statusOf(withStatus(499))).toBe(499);
    expect(ProblemDetailsFilter.statusOf(withStatus(399))).toBe(500);
    expect(ProblemDetailsFilter.statusOf(withStatus(500))).toBe(500);
    expect(ProblemDetailsFilter.statusOf(withStatus(503))).toBe(500);
    expect(ProblemDetailsFilter.statusOf(withStatus('404'))).toBe(500);
    expect(ProblemDetailsFilter.statusOf(new Error('no status'))).toBe(500);
    expect(ProblemDetailsFilter.statusOf(null)).toBe(500);
    expect(ProblemDetailsFilter.statusOf(undefined)).toBe(500);
  });
});

/**
 * The response and log line the filter writes, on a loopback Node server: the request handler
 * hands the filter its request, response and error, as Nest's Express adapter does.
 */
describe('ProblemDetailsFilter.catch', () => {
  const key = `cfg_${randomBytes(16).toString('hex')}`;
  const redactor = specRedactor(key);
  /** The log lines the code under test writes, parsed. */
  const { logger, lines } = pinoCapture();
  const filter = new ProblemDetailsFilter(redactor, logger);

  /** What the next request's handler does before the filter answers its error. */
  interface Scenario {
    exception: unknown;
    /** Run outside any request context (no request id). */
    outsideContext?: boolean;
    /** The route template the router matched. */
    route?: string;
    /** What the handler wrote before it threw. */
    before?: (res: ServerResponse) => void;
  }
  /** What the server saw once the filter returned. */
  interface Seen {
    requestId: string | undefined;
    reason: AccessReason | null;
    ended: boolean;
    destroyed: boolean;
    thrown?: unknown;
  }
  let scenario: Scenario = { exception: undefined };
  let seen: Seen | undefined;
  let base = '';

  const server = createServer((req, res) => {
    const handle = (): void => {
      try {
        if (scenario.route) {
          Object.assign(req, { route: { path: scenario.route } });
          RequestContext.recordRoute(req);
        }
        scenario.before?.(res);
        // eslint-disable-next-line promise/valid-params -- Nest's ExceptionFilter.catch, not a promise's
        filter.catch(scenario.exception, new ExecutionContextHost([req, res]));
        seen = {
          requestId: RequestContext.requestId(),
          reason: RequestContext.reasonOf(req),
          ended: res.writableEnded,
          destroyed: res.destroyed,
        };
        // A response the filter left open would hold the client until a timeout: cut it, and
        // the test fails on `ended` at once.
        if (!res.writableEnded && !res.destroyed) res.destroy();
      } catch (thrown) {
        seen = { requestId: undefined, reason: null, ended: false, destroyed: false, thrown };
        res.destroy();
      }
    };
    if (scenario.outsideContext) handle();
    else RequestContext.run([], handle);
  });

  beforeAll(async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    lines.length = 0;
    seen = undefined;
  });

  interface Answer {
    status: number;
    headers: Headers;
    text: string;
    seen: Seen;
  }

  /** The response the client gets for a request whose handler threw as `next` says. */
  async function answer(next: Scenario, method = 'GET'): Promise<Answer> {
    scenario = next;
    const response = await fetch(`${base}/anything`, { method }).catch(() => undefined);
    expect(seen?.thrown).toBeUndefined();
    expect(seen?.ended).toBe(true);
    if (!response) throw new Error('the response was cut');
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, seen: seen as Seen };
  }

  it('when any error is answered, the body is problem+json with the fixed title of its status and the request id, never the message', async () => {
    const { status, headers, text, seen } = await answer({
      exception: new BadRequestException(`field "token" had value ${key}`),
    });
    expect(status).toBe(400);
    expect(seen.requestId).toEqual(expect.any(String));
    expect(JSON.parse(text)).toStrictEqual({
      type: 'about:blank',
      title: 'Bad Request',
      status: 400,
      requestId: seen.requestId,
    });
    expect(text).not.toContain(key);
    expect(headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
    expect(headers.get('cache-control')).toBe('no-store');
    expect(headers.get('x-request-id')).toBe(seen.requestId);
  });

  it('when the status has no standard title, the title is "Error"', async () => {
    const { status, text } = await answer({ exception: new HttpException('client closed', 499) });
    expect(status).toBe(499);
    expect(JSON.parse(text)).toMatchObject({ title: 'Error', status: 499 });
  });

  it('when there is no request context, the request id is "none", in the body and the header', async () => {
    const { text, headers } = await answer({
      exception: new NotFoundException(),
      outsideContext: true,
    });
    expect(JSON.parse(text)).toMatchObject({ status: 404, requestId: 'none' });
    expect(headers.get('x-request-id')).toBe('none');
  });

  it('when our own ProblemException is answered, its detail, field errors and headers reach the client; Content-Length counts bytes', async () => {
    const exception = new ProblemException(HttpStatus.UNPROCESSABLE_ENTITY, {
      detail: 'Le champ « nom » est trop long',
      errors: [{ field: 'name', rule: 'too_big' }],
      reason: 'validation_failed',
      headers: { 'Retry-After': '30', 'WWW-Authenticate': 'Bearer realm="api"' },
    });
    const { status, headers, text, seen } = await answer({ exception });
    expect(status).toBe(422);
    expect(JSON.parse(text)).toStrictEqual({
      type: 'about:blank',
      title: 'Unprocessable Entity',
      status: 422,
      requestId: seen.requestId,
      detail: 'Le champ « nom » est trop long',
      errors: [{ field: 'name', rule: 'too_big' }],
    });
    expect(headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
    expect(headers.get('retry-after')).toBe('30');
    expect(headers.get('www-authenticate')).toBe('Bearer realm="api"');
  });

  it('when a ProblemException has an empty detail and no field errors, the body has neither', async () => {
    const { text } = await answer({
      exception: new ProblemException(HttpStatus.CONFLICT, { detail: '' }),
    });
    expect(Object.keys(JSON.parse(text) as object).sort()).toEqual(
      ['requestId', 'status', 'title', 'type'].sort(),
    );
  });

  it('when the request is HEAD, the status and headers are those of GET, with no body', async () => {
    const exception = new NotFoundException();
    const get = await answer({ exception });
    const head = await answer({ exception }, 'HEAD');
    expect(head.status).toBe(404);
    expect(head.text).toBe('');
    expect(head.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(head.headers.get('content-length')).toBe(get.headers.get('content-length'));
  });

  it('when a client error is answered, its reason is recorded for the access-log line and nothing is logged', async () => {
    const { seen } = await answer({
      exception: new ProblemException(HttpStatus.TOO_MANY_REQUESTS, { reason: 'rate_limited' }),
    });
    expect(seen.reason).toBe('rate_limited');
    const unknown4xx = await answer({ exception: new HttpException('odd', 499) });
    expect(unknown4xx.seen.reason).toBe('client_error');
    expect(lines).toEqual([]);
  });

  it('when a server error is answered, one error event is logged with its route, reason and a redacted summary', async () => {
    const { status, text, seen } = await answer(
      {
        exception: new Error(`connect failed: postgres://app:${key}@db.internal:5432/app`),
        route: '/orders/:id',
      },
      'DELETE',
    );
    expect(status).toBe(500);
    expect(JSON.parse(text)).toMatchObject({ title: 'Internal Server Error', status: 500 });
    expect(seen.reason).toBe('unexpected_error');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 50,
      msg: 'request failed',
      event: 'request_failed',
      requestId: seen.requestId,
      status: 500,
      method: 'DELETE',
      route: '/orders/:id',
      reason: 'unexpected_error',
      err: { message: expect.stringContaining('connect failed') as unknown },
    });
    // This logger redacts nothing itself: the summary the filter logs is already redacted.
    expect(JSON.stringify(lines)).not.toContain(key);
  });

  it('when the response was already started, the connection is cut: no problem body is appended', async () => {
    scenario = {
      exception: new Error('failed mid-stream'),
      before: (res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('partial');
      },
    };
    const outcome = fetch(`${base}/anything`).then((response) => response.text());
    const failed = expect(outcome).rejects.toThrow();
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (seen) resolve();
        else setImmediate(check);
      };
      check();
    });
    expect(seen?.thrown).toBeUndefined();
    expect(seen?.destroyed).toBe(true);
    await failed;
    expect(seen?.reason).toBe('unexpected_error');
    expect(lines).toHaveLength(1);
  });
});
