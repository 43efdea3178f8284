import { ApplicationConfig } from '@nestjs/core';
import request from 'supertest';
import { AuthenticationGuard } from '../src/kit/auth/authentication.guard';
import { ScopeGuard } from '../src/kit/auth/scope.guard';
import { REQUEST_PIPELINE } from '../src/kit/http/request-pipeline';
import { ProblemDetailsFilter } from '../src/kit/security/problem-details.filter';
import { SchemaValidationPipe } from '../src/kit/security/schema-validation.pipe';
import { RateLimitGuard } from '../src/kit/throttling/rate-limit.guard';
import { closeStarted } from './support/cleanup';
import { logCapture } from './support/log-capture';
import { rawRequest } from './support/raw-http';
import { startTestApp, TestApp } from './support/test-app';
import { TokenFactory } from './support/tokens';

describe('RequestPipeline', () => {
  const tokens = new TokenFactory();
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ ...tokens.env(), RATE_LIMIT_MAX: '2' });
  });
  afterAll(() => closeStarted(app));

  it('when the list is read, its stages are in the order a request meets them', () => {
    expect(REQUEST_PIPELINE.map((s) => `${s.kind}:${s.name}`)).toEqual([
      'middleware:connection-drain',
      'middleware:request-context',
      'middleware:security-headers',
      'middleware:cors',
      'middleware:access-log',
      'middleware:json-body',
      'guard:rate-limit',
      'guard:authentication',
      'guard:scopes',
      'pipe:schema-validation',
      'filter:problem-details',
    ]);
  });

  it("when the app is built, its global guards, pipe and filter are the list's, in order", () => {
    const config = app.app.get(ApplicationConfig);
    const types = (list: object[]) => list.map((x) => x.constructor);
    expect(types(config.getGlobalGuards())).toEqual([
      RateLimitGuard,
      AuthenticationGuard,
      ScopeGuard,
    ]);
    expect(types(config.getGlobalInterceptors())).toEqual([]);
    expect(types(config.getGlobalPipes())).toEqual([SchemaValidationPipe]);
    expect(types(config.getGlobalFilters())).toEqual([ProblemDetailsFilter]);
  });

  it('when a body is too large, it is refused after the request context and the access logger ran', async () => {
    logCapture.clear();
    const res = await rawRequest(app.url, {
      method: 'POST',
      path: '/health/live',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pad: 'x'.repeat(200 * 1024) }),
    });
    expect(res.status).toBe(413);
    const { requestId } = JSON.parse(res.body) as { requestId: string };
    expect(typeof requestId).toBe('string');
    const lines = logCapture.failures().filter((l) => l.status === 413);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ req: { id: requestId, method: 'POST' } });
  });

  it('when anonymous requests exceed the limit, the limiter answers before authentication', async () => {
    // Authentication would answer 401 to every one; a 429 means the limiter ran first.
    expect((await request(app.url).get('/api-keys')).status).toBe(401);
    expect((await request(app.url).get('/api-keys')).status).toBe(401);
    expect((await request(app.url).get('/api-keys')).status).toBe(429);
  });
});

describe('RequestPipeline authentication and scopes', () => {
  const tokens = new TokenFactory();
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp(tokens.env());
  });
  afterAll(() => closeStarted(app));

  it('when a scoped route gets no credential, authentication answers 401 before the scope check', async () => {
    const res = await request(app.url).get('/api-keys');
    expect(res.status).toBe(401);
  });

  it('when a scoped route gets a token without its scope, the scope guard answers 403', async () => {
    const res = await request(app.url)
      .get('/api-keys')
      .set('Authorization', `Bearer ${tokens.rs256({ scope: 'nothing:here' })}`);
    expect(res.status).toBe(403);
  });
});
