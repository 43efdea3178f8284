import { BadRequestException, Controller, Get, HttpStatus, Req } from '@nestjs/common';
import type { Request } from 'express';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { randomBytes } from 'node:crypto';
import { Public } from '../src/kit/auth/route-security.decorator';
import { ProblemException } from '../src/kit/security/problem.exception';
import { closeStarted } from './support/cleanup';
import { logCapture } from './support/log-capture';
import { startPlantedFixtureApp } from './support/fixture/planted-fixture-app';
import { rawRequest } from './support/raw-http';
import type { TestApp } from './support/test-app';
import { TokenFactory } from './support/tokens';

const secret = `srv${randomBytes(24).toString('hex')}`;

/** Routes that fail on purpose, registered only in this test. */
@Controller('fail')
class FailingController {
  constructor(@InjectPinoLogger('Failing') private readonly logger: PinoLogger) {}

  @Public()
  @Get('unknown')
  unknown(): never {
    throw new Error(`connect failed: postgres://app:${secret}@db.internal:5432/app`);
  }

  @Public()
  @Get('http')
  http(): never {
    throw new BadRequestException(`field "token" had value ${secret}`);
  }

  @Public()
  @Get('thrown-string')
  thrownString(): never {
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- what careless code does
    throw `raw ${secret}`;
  }

  @Public()
  @Get('safe-detail')
  safeDetail(): never {
    throw new ProblemException(HttpStatus.CONFLICT, { detail: 'The item already exists.' });
  }

  @Public()
  @Get('log-credential')
  logCredential(@Req() req: Request & { user?: unknown }): object {
    this.logger.info(`handler saw ${secret} and ${JSON.stringify(req.query.token)}`);
    return {};
  }
}

describe('ProblemDetailsFilter', () => {
  let app: TestApp;
  const jwtSecret = randomBytes(32).toString('base64url');

  beforeAll(async () => {
    app = await startPlantedFixtureApp([FailingController], {
      JWT_SECRET: jwtSecret,
      JWT_ISSUER: 'i',
      JWT_AUDIENCE: 'a',
      DOWNSTREAM_BASE_URL: 'http://127.0.0.1:9',
      DOWNSTREAM_API_KEY: secret,
    });
  });
  afterAll(() => closeStarted(app));

  const problem = (body: string): Record<string, unknown> =>
    JSON.parse(body) as Record<string, unknown>;

  async function expectFixed(
    req: Parameters<typeof rawRequest>[1],
    status: number,
    title: string,
  ): Promise<Record<string, unknown>> {
    const res = await rawRequest(app.url, req);
    expect(res.status).toBe(status);
    expect(res.headerText).toMatch(/Content-Type: application\/problem\+json; charset=utf-8/i);
    const body = problem(res.body);
    expect(Object.keys(body).sort()).toEqual(['requestId', 'status', 'title', 'type']);
    expect(body).toMatchObject({ type: 'about:blank', title, status });
    expect(res.headerText).toContain(`X-Request-Id: ${String(body.requestId)}`);
    expect(res.body).not.toContain(secret);
    return body;
  }

  it('when a handler throws an unknown error, 500 with the fixed body and a redacted log', async () => {
    logCapture.clear();
    const body = await expectFixed(
      { method: 'GET', path: '/fail/unknown' },
      500,
      'Internal Server Error',
    );
    const event = logCapture.lines().find((l) => l.event === 'request_failed');
    expect(event).toMatchObject({ status: 500, requestId: body.requestId, route: '/fail/unknown' });
    expect(JSON.stringify(event)).toContain('connect failed: postgres://app:[REDACTED]');
    expect(logCapture.text()).not.toContain(secret);
  });

  it('when a handler throws an HttpException with a message, the message stays out of the body', async () => {
    await expectFixed({ method: 'GET', path: '/fail/http' }, 400, 'Bad Request');
  });

  it('when a handler throws a string, 500 with the fixed body', async () => {
    await expectFixed({ method: 'GET', path: '/fail/thrown-string' }, 500, 'Internal Server Error');
    expect(logCapture.text()).not.toContain(secret);
  });

  it('when our code throws a ProblemException with a detail, the detail is the only extra', async () => {
    const res = await rawRequest(app.url, { method: 'GET', path: '/fail/safe-detail' });
    expect(res.status).toBe(409);
    expect(problem(res.body)).toMatchObject({
      title: 'Conflict',
      detail: 'The item already exists.',
    });
  });

  it('when the route does not exist, 404 with the fixed body and no path or query in it', async () => {
    logCapture.clear();
    const res = await rawRequest(app.url, {
      method: 'GET',
      path: `/nope/${secret}?api_key=${secret}`,
    });
    expect(res.status).toBe(404);
    expect(problem(res.body)).toMatchObject({ title: 'Not Found', status: 404 });
    expect(res.body).not.toContain('nope');
    expect(logCapture.text()).not.toContain(secret);
    expect(logCapture.text()).not.toContain('/nope');
  });

  it.each([
    ['truncated', `{"token":"${secret}",`],
    ['bare', secret],
    ['unquoted', `{"api_key": ${secret}}`],
  ])('when the JSON body is malformed (%s), 400 with no excerpt of it', async (_n, body) => {
    logCapture.clear();
    await expectFixed(
      {
        method: 'POST',
        path: '/fixture/widgets',
        headers: { 'content-type': 'application/json' },
        body,
      },
      400,
      'Bad Request',
    );
    const event = logCapture.failures()[0];
    expect(event).toMatchObject({ status: 400, reason: 'entity.parse.failed' });
    expect(logCapture.text()).not.toContain(secret.slice(0, 10));
  });

  it('when the body is too large, 413, logged at warn without a stack', async () => {
    logCapture.clear();
    await expectFixed(
      {
        method: 'POST',
        path: '/fixture/widgets',
        headers: { 'content-type': 'application/json' },
        body: `{"a":"${'x'.repeat(200_000)}"}`,
      },
      413,
      'Payload Too Large',
    );
    const event = logCapture.failures()[0];
    expect(event).toMatchObject({ level: 40, reason: 'entity.too.large' });
    expect(JSON.stringify(event)).not.toContain('stack');
  });

  it('when the charset or content encoding is unsupported, 415 without echoing it', async () => {
    await expectFixed(
      {
        method: 'POST',
        path: '/fixture/widgets',
        headers: { 'content-type': `application/json; charset=${secret}` },
        body: '{}',
      },
      415,
      'Unsupported Media Type',
    );
    await expectFixed(
      {
        method: 'POST',
        path: '/fixture/widgets',
        headers: { 'content-type': 'application/json', 'content-encoding': secret },
        body: '{}',
      },
      415,
      'Unsupported Media Type',
    );
  });

  it('when a path parameter has a bad percent-encoding, 400 without echoing it', async () => {
    await expectFixed({ method: 'GET', path: `/fixture/widgets/%FF${secret}` }, 400, 'Bad Request');
  });

  it('when validation fails, the body names fields and rules, never values or unknown keys', async () => {
    const now = Math.floor(Date.now() / 1000);
    const jwt = TokenFactory.signHs(
      jwtSecret,
      { alg: 'HS256', typ: 'at+jwt' },
      {
        iss: 'i',
        aud: 'a',
        sub: 's',
        iat: now,
        exp: now + 60,
        scope: 'widgets:read widgets:write',
      },
    );
    const res = await rawRequest(app.url, {
      method: 'POST',
      path: '/fixture/widgets',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${jwt}` },
      body: JSON.stringify({ name: 42, stock: secret, [secret]: 1 }),
    });
    expect(res.status).toBe(400);
    expect(problem(res.body)).toMatchObject({
      errors: expect.arrayContaining([
        { field: 'name', rule: 'invalid_type' },
        { field: 'stock', rule: 'invalid_type' },
        { field: '(root)', rule: 'unrecognized_keys' },
      ]) as unknown,
    });
    expect(res.body).not.toContain(secret);
  });

  it('when a handler logs a configured secret or a credential query value, the log line is redacted', async () => {
    logCapture.clear();
    // Shapeless on purpose: only the request's own registered credentials can catch it.
    const token = `opaque${randomBytes(12).toString('hex')}`;
    const res = await rawRequest(app.url, {
      method: 'GET',
      path: `/fail/log-credential?token=${token}`,
      headers: {},
    });
    expect(res.status).toBe(200);
    const line = logCapture
      .lines()
      .find((l) => typeof l.msg === 'string' && l.msg.startsWith('handler saw'));
    expect(line?.msg).toBe('handler saw [REDACTED] and "[REDACTED]"');
    expect(logCapture.text()).not.toContain(token);
  });
});
