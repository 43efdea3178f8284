import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { AppConfig } from '../config/app-config';
import { ProblemException } from '../security/problem.exception';
import { RequestContext } from '../security/request-context';
import { type DownstreamCall, DownstreamClient } from './downstream.client';
import { pinoCapture } from '../logging/pino-capture.spec-support';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const MIB = 1024 * 1024;
const json = (res: ServerResponse, body: string, type = 'application/json'): void => {
  res.writeHead(200, { 'content-type': type }).end(body);
};

/** A real HTTP server on loopback standing in for the downstream service. */
class Downstream {
  readonly seen: Seen[] = [];
  handler: Handler = (_req, res) => {
    json(res, '{"available":12}');
  };
  /** Responses whose connection closed before they finished: the client hung up. */
  readonly cutOff: ServerResponse[] = [];
  private readonly server: Server;

  constructor() {
    this.server = createServer((req, res) => {
      res.on('close', () => {
        if (!res.writableFinished) this.cutOff.push(res);
      });
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.seen.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        this.handler(req, res);
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** The log lines the code under test writes, parsed. */
const { logger, lines } = pinoCapture();

const key = (): string => randomBytes(24).toString('base64url');
const Stock = z.object({ available: z.number() });
const get: DownstreamCall<{ available: number }> = {
  method: 'GET',
  path: '/inventory/{id}',
  params: { id: 'sku-1' },
  schema: Stock,
};

function client(baseUrl: string | undefined, apiKey = key(), timeoutMs = 2000): DownstreamClient {
  const env: Record<string, string> = { NODE_ENV: 'test', DOWNSTREAM_TIMEOUT_MS: `${timeoutMs}` };
  if (baseUrl) Object.assign(env, { DOWNSTREAM_BASE_URL: baseUrl, DOWNSTREAM_API_KEY: apiKey });
  return new DownstreamClient(AppConfig.fromEnv(env), logger);
}

async function refusal(call: Promise<unknown>): Promise<ProblemException> {
  try {
    await call;
  } catch (error) {
    expect(error).toBeInstanceOf(ProblemException);
    return error as ProblemException;
  }
  throw new Error('expected the call to fail');
}

/** The problem as a client sees it: status, reason and detail, nothing else. */
async function problemOf(
  call: Promise<unknown>,
): Promise<{ status: number; reason: unknown; detail: unknown; keys: string[] }> {
  const problem = await refusal(call);
  return {
    status: problem.getStatus(),
    reason: problem.problem.reason,
    detail: problem.problem.detail,
    keys: Object.keys(problem.problem).sort(),
  };
}

const UNAVAILABLE = 'A service this operation depends on is unavailable.';
const LATE = 'A service this operation depends on did not answer in time.';
const UNUSABLE = 'A service this operation depends on gave an unusable answer.';

describe(DownstreamClient.name, () => {
  const downstream = new Downstream();
  let url: string;
  let apiKey: string;
  let subject: DownstreamClient;

  beforeAll(async () => {
    url = await downstream.start();
  });
  beforeEach(() => {
    apiKey = key();
    subject = client(url, apiKey);
    downstream.seen.length = 0;
    downstream.cutOff.length = 0;
    downstream.handler = (_req, res) => {
      json(res, '{"available":12}');
    };
    lines.length = 0;
  });
  afterEach(async () => {
    await subject.onModuleDestroy();
  });
  afterAll(async () => {
    await downstream.close();
  });

  describe('outbound request', () => {
    it('when a GET is sent, only accept and the server-held key go out, with no body', async () => {
      await expect(subject.request(get)).resolves.toEqual({ available: 12 });
      expect(downstream.seen).toHaveLength(1);
      const [seen] = downstream.seen;
      expect(seen.method).toBe('GET');
      expect(seen.url).toBe('/inventory/sku-1');
      expect(seen.body).toBe('');
      const { host, connection, ...headers } = seen.headers;
      expect(host).toBe(new URL(url).host);
      expect(connection).toBe('keep-alive');
      expect(headers).toEqual({
        accept: 'application/json',
        authorization: `Bearer ${apiKey}`,
      });
    });

    it('when a body is given, it goes as JSON with its content type and nothing else', async () => {
      const call = { ...get, method: 'POST' as const, body: { sku: 'a', n: 2 } };
      await expect(subject.request(call)).resolves.toEqual({ available: 12 });
      const [seen] = downstream.seen;
      expect(seen.method).toBe('POST');
      expect(JSON.parse(seen.body)).toEqual({ sku: 'a', n: 2 });
      const { host: _h, connection: _c, ...headers } = seen.headers;
      expect(headers).toEqual({
        accept: 'application/json',
        authorization: `Bearer ${apiKey}`,
        'content-type': 'application/json',
        'content-length': `${Buffer.byteLength(seen.body)}`,
      });
    });

    it('when a falsy body such as null or 0 is given, it is still sent', async () => {
      await subject.request({ ...get, method: 'PUT', body: null });
      await subject.request({ ...get, method: 'PATCH', body: 0 });
      expect(downstream.seen.map((s) => [s.body, s.headers['content-type']])).toEqual([
        ['null', 'application/json'],
        ['0', 'application/json'],
      ]);
    });

    it('when the call runs in a request, our request id goes out as X-Request-Id', async () => {
      const id = await RequestContext.run(['incoming-credential'], async () => {
        await subject.request(get);
        return RequestContext.requestId();
      });
      expect(id).toEqual(expect.any(String));
      expect(downstream.seen[0].headers['x-request-id']).toBe(id);
      expect(JSON.stringify(downstream.seen[0].headers)).not.toContain('incoming-credential');
    });

    it('when no params are given, the template is the path', async () => {
      await subject.request({ method: 'DELETE', path: '/inventory', schema: Stock });
      expect(downstream.seen[0]).toMatchObject({ method: 'DELETE', url: '/inventory' });
    });
  });

  describe('answers', () => {
    it.each([
      'application/json',
      'application/json; charset=utf-8',
      'application/json;charset=utf-8',
      'application/json  ; charset=utf-8',
      'Application/JSON',
      'application/problem+json',
      'application/vnd.a_b-c.d+json; v=1',
      'application/x.y+z+json',
    ])('when the content type is %s, the body is returned', async (type) => {
      downstream.handler = (_req, res) => {
        json(res, '{"available":3}', type);
      };
      await expect(subject.request(get)).resolves.toEqual({ available: 3 });
    });

    it.each([
      'text/json',
      'xapplication/json',
      'application/jsonx',
      'application/json5',
      'application/json x',
      'application/+json',
      'application/a b+json',
      'application/a/b+json',
      'application/a+jsonx',
      'text/plain; application/json',
      'application/xml',
    ])('when the content type is %s, it is a 502 bad_content_type', async (type) => {
      downstream.handler = (_req, res) => {
        json(res, '{"available":3}', type);
      };
      expect(await problemOf(subject.request(get))).toEqual({
        status: 502,
        reason: 'downstream_bad_content_type',
        detail: UNUSABLE,
        keys: ['detail', 'reason'],
      });
    });

    it('when there is no content type, it is a 502 bad_content_type', async () => {
      downstream.handler = (_req, res) => res.writeHead(200).end('{"available":3}');
      expect((await problemOf(subject.request(get))).reason).toBe('downstream_bad_content_type');
    });

    it.each([200, 201, 299])('when the status is %i with JSON, it is accepted', async (code) => {
      downstream.handler = (_req, res) =>
        res.writeHead(code, { 'content-type': 'application/json' }).end('1');
      await expect(subject.request({ ...get, schema: z.number() })).resolves.toBe(1);
    });

    it.each([
      [300, 'downstream_redirect'],
      [302, 'downstream_redirect'],
      [399, 'downstream_redirect'],
      [400, 'downstream_error_status'],
      [404, 'downstream_error_status'],
      [500, 'downstream_error_status'],
      [503, 'downstream_error_status'],
    ])('when the status is %i, it is a 502 %s and nothing of the answer', async (code, reason) => {
      const canary = key();
      downstream.handler = (_req, res) =>
        res
          .writeHead(code, {
            'content-type': 'application/json',
            location: `http://127.0.0.1:1/${canary}`,
            'x-canary': canary,
          })
          .end(JSON.stringify({ error: canary }));
      const problem = await refusal(subject.request(get));
      expect(problem.getStatus()).toBe(502);
      expect(problem.problem).toEqual({ reason, detail: UNUSABLE });
      expect(JSON.stringify(problem.getResponse())).not.toContain(canary);
      expect(downstream.seen).toHaveLength(1);
    });

    it('when a redirect is answered, it is not followed', async () => {
      downstream.handler = (req, res) => {
        if (req.url === '/elsewhere') json(res, '{"available":1}');
        else res.writeHead(307, { location: '/elsewhere' }).end();
      };
      expect((await problemOf(subject.request(get))).reason).toBe('downstream_redirect');
      expect(downstream.seen.map((s) => s.url)).toEqual(['/inventory/sku-1']);
    });

    it('when an error status comes with a body that never ends, the body is discarded', async () => {
      downstream.handler = (_req, res) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.write('{"partial":');
      };
      // The longest timeout allowed, so that only the discard, not a body timeout, hangs up.
      await subject.onModuleDestroy();
      subject = client(url, apiKey, 60_000);
      expect((await problemOf(subject.request(get))).reason).toBe('downstream_error_status');
      await new Promise<void>((resolve) => {
        const check = (): void => {
          if (downstream.cutOff.length > 0) resolve();
          else setImmediate(check);
        };
        check();
      });
      expect(downstream.cutOff).toHaveLength(1);
    });

    it('when the body is not JSON, it is a 502 bad_body', async () => {
      downstream.handler = (_req, res) => {
        json(res, '{"available":');
      };
      expect(await problemOf(subject.request(get))).toEqual({
        status: 502,
        reason: 'downstream_bad_body',
        detail: UNUSABLE,
        keys: ['detail', 'reason'],
      });
    });

    it('when the body does not fit the schema, it is a 502 bad_body', async () => {
      downstream.handler = (_req, res) => {
        json(res, '{"available":"12"}');
      };
      expect((await problemOf(subject.request(get))).reason).toBe('downstream_bad_body');
    });

    it('when the body has fields the schema does not name, only the validated part returns', async () => {
      downstream.handler = (_req, res) => {
        json(res, '{"available":5,"internal":"x"}');
      };
      await expect(subject.request(get)).resolves.toEqual({ available: 5 });
    });

    it('when the body is exactly 1 MiB, it is accepted, declared or streamed', async () => {
      const body = `"${'a'.repeat(MIB - 2)}"`;
      const call = { ...get, schema: z.string() };
      downstream.handler = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': MIB }).end(body);
      };
      await expect(subject.request(call)).resolves.toHaveLength(MIB - 2);
      downstream.handler = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(body.slice(0, MIB / 2));
        res.end(body.slice(MIB / 2));
      };
      await expect(subject.request(call)).resolves.toHaveLength(MIB - 2);
    });

    it('when the declared length is over 1 MiB, it is a 502 too_large', async () => {
      downstream.handler = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': MIB + 1 });
        res.write('"');
      };
      expect(await problemOf(subject.request(get))).toEqual({
        status: 502,
        reason: 'downstream_too_large',
        detail: UNUSABLE,
        keys: ['detail', 'reason'],
      });
    });

    it('when a streamed body passes 1 MiB, it is a 502 too_large', async () => {
      downstream.handler = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(`"${'a'.repeat(MIB - 1)}`);
        res.end('"');
      };
      expect((await problemOf(subject.request(get))).reason).toBe('downstream_too_large');
      // The Pool's own limit (maxResponseSize) stops the body first: its code is logged.
      expect(lines.at(-1)).toMatchObject({
        outcome: 'too_large',
        code: 'UND_ERR_RES_EXCEEDED_MAX_SIZE',
      });
    });

    it('when the body is not JSON, it is bad_body even for a schema that takes anything', async () => {
      downstream.handler = (_req, res) => {
        json(res, 'not json');
      };
      const call = subject.request({ ...get, schema: z.unknown() });
      expect((await problemOf(call)).reason).toBe('downstream_bad_body');
    });

    it('when the connection breaks mid-answer, it is a 502 failed', async () => {
      downstream.handler = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': 100 });
        res.write('{"available":', () => res.destroy());
      };
      expect(await problemOf(subject.request(get))).toEqual({
        status: 502,
        reason: 'downstream_failed',
        detail: UNUSABLE,
        keys: ['detail', 'reason'],
      });
    });
  });

  describe('unavailable and late', () => {
    it('when nothing is configured, it is a 503 not_configured without any call', async () => {
      const none = client(undefined);
      expect(await problemOf(none.request(get))).toEqual({
        status: 503,
        reason: 'downstream_not_configured',
        detail: UNAVAILABLE,
        keys: ['detail', 'reason'],
      });
      await expect(none.onModuleDestroy()).resolves.toBeUndefined();
    });

    it('when nothing listens, it is a 503 unreachable', async () => {
      const probe = createServer();
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
      const port = (probe.address() as AddressInfo).port;
      await new Promise((resolve) => probe.close(resolve));
      const refused = client(`http://127.0.0.1:${port}`);
      expect(await problemOf(refused.request(get))).toEqual({
        status: 503,
        reason: 'downstream_unreachable',
        detail: UNAVAILABLE,
        keys: ['detail', 'reason'],
      });
      await refused.onModuleDestroy();
    });

    it('when no headers come in time, it is a 504 timeout', async () => {
      const late = client(url, key(), 100);
      downstream.handler = () => undefined;
      expect(await problemOf(late.request(get))).toEqual({
        status: 504,
        reason: 'downstream_timeout',
        detail: LATE,
        keys: ['detail', 'reason'],
      });
      await late.onModuleDestroy();
    });

    it('when the body trickles past the whole-call bound, it is a 504 timeout', async () => {
      const late = client(url, key(), 200);
      downstream.handler = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        const timer = setInterval(() => res.write(' '), 20);
        res.on('close', () => {
          clearInterval(timer);
        });
      };
      expect((await problemOf(late.request(get))).reason).toBe('downstream_timeout');
      await late.onModuleDestroy();
    });

    it('when the client is destroyed, its pool is closed and calls fail', async () => {
      await subject.onModuleDestroy();
      expect((await problemOf(subject.request(get))).reason).toBe('downstream_failed');
      subject = client(url);
    });
  });

  describe('error codes', () => {
    /**
     * The mapping from a transport error to an outcome, for codes a loopback server cannot
     * produce on demand (DNS and routing failures, undici's own timers). Only `name` and
     * `code` are read; the message is never looked at.
     */
    const classify = (error: unknown): unknown =>
      (DownstreamClient as unknown as { classify(e: unknown, s: null): unknown }).classify(
        error,
        null,
      );
    const coded = (code: unknown, name = 'Error'): unknown => ({ code, name, message: key() });

    it.each(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'])(
      'when the code is %s, nothing answered: unreachable',
      (code) => {
        expect(classify(coded(code))).toEqual({
          ok: false,
          outcome: 'unreachable',
          status: null,
          code,
        });
      },
    );

    it.each([
      'UND_ERR_CONNECT_TIMEOUT',
      'UND_ERR_HEADERS_TIMEOUT',
      'UND_ERR_BODY_TIMEOUT',
      'ABORT_ERR',
      'UND_ERR_ABORTED',
    ])('when the code is %s, no timely answer: timeout', (code) => {
      expect(classify(coded(code))).toEqual({ ok: false, outcome: 'timeout', status: null, code });
    });

    it('when the error is a TimeoutError, it is a timeout whatever its code', () => {
      expect(classify(coded(23, 'TimeoutError'))).toEqual({
        ok: false,
        outcome: 'timeout',
        status: null,
      });
    });

    it('when the response passed the size limit, it is too_large', () => {
      expect(classify(coded('UND_ERR_RES_EXCEEDED_MAX_SIZE'))).toMatchObject({
        outcome: 'too_large',
      });
    });

    it.each([
      ['an unknown code', 'ECONNRESET', 'ECONNRESET'],
      ['a code of one letter and one digit', 'E1', 'E1'],
      ['a code of 41 characters', `E${'X'.repeat(40)}`, `E${'X'.repeat(40)}`],
      ['a code of 42 characters', `E${'X'.repeat(41)}`, undefined],
      ['a one-letter code', 'E', undefined],
      ['a lower-case code', 'econnrefused', undefined],
      ['a code starting with a digit', '1ECONN', undefined],
      ['a code with text around it', 'ECONNREFUSED token=abc', undefined],
      ['a code with a prefix', 'x ECONNREFUSED', undefined],
      ['a numeric code', 61, undefined],
    ])('when the error has %s, it failed; only a closed code is kept', (_case, code, kept) => {
      expect(classify(coded(code))).toEqual({
        ok: false,
        outcome: 'failed',
        status: null,
        ...(kept === undefined ? {} : { code: kept }),
      });
    });

    it.each([null, undefined, 'text', {}])(
      'when the error is %p, it failed with no code',
      (error) => {
        expect(classify(error)).toEqual({ ok: false, outcome: 'failed', status: null });
      },
    );
  });

  describe('log', () => {
    it('when a call succeeds, one debug line names method, host, template and status only', async () => {
      const before = performance.now();
      await subject.request(get);
      const elapsed = performance.now() - before;
      expect(lines).toHaveLength(1);
      const [{ time: _t, pid: _p, hostname: _n, durationMs, ...line }] = lines;
      expect(line).toEqual({
        level: 20,
        event: 'downstream_call',
        method: 'GET',
        host: new URL(url).host,
        path: '/inventory/{id}',
        status: 200,
        outcome: 'ok',
        msg: 'downstream call succeeded',
      });
      expect(durationMs).toBeGreaterThanOrEqual(0);
      expect(durationMs).toBeLessThanOrEqual(Math.ceil(elapsed));
      expect(JSON.stringify(lines)).not.toContain(apiKey);
    });

    it('when a call fails with an error code, one warn line carries outcome and code', async () => {
      const probe = createServer();
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
      const port = (probe.address() as AddressInfo).port;
      await new Promise((resolve) => probe.close(resolve));
      const refused = client(`http://127.0.0.1:${port}`);
      await refusal(refused.request(get));
      await refused.onModuleDestroy();
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({
        level: 40,
        host: `127.0.0.1:${port}`,
        status: null,
        outcome: 'unreachable',
        code: 'ECONNREFUSED',
        msg: 'downstream call failed',
      });
    });

    it('when a call fails on its answer, the line has the status and no code', async () => {
      downstream.handler = (_req, res) => res.writeHead(500).end();
      await refusal(subject.request(get));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ level: 40, status: 500, outcome: 'error_status' });
      expect(lines[0]).not.toHaveProperty('code');
    });

    it('when nothing is configured, the line has no host and no status', async () => {
      await refusal(client(undefined).request(get));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({
        level: 40,
        host: null,
        status: null,
        path: '/inventory/{id}',
        outcome: 'not_configured',
      });
      expect(lines[0]).not.toHaveProperty('code');
    });
  });
});
