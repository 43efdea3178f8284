import {
  Controller,
  Get,
  Injectable,
  Logger,
  Module,
  Query,
  type MiddlewareConsumer,
  type NestMiddleware,
  type NestModule,
} from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { ApiKeyFormat } from '../src/kit/api-keys/api-key-format';
import { Public } from '../src/kit/auth/route-security.decorator';
import { closeStarted } from './support/cleanup';
import { logCapture } from './support/log-capture';
import { startPlantedFixtureApp } from './support/fixture/planted-fixture-app';
import { rawRequest } from './support/raw-http';
import type { TestApp } from './support/test-app';
import { FixtureTokens } from './support/fixture/fixture-tokens';

/**
 * Logs the credential headers it sees, as a careless middleware would (it runs before the
 * authentication guard deletes them); exists only in this test.
 */
@Injectable()
class CarelessMiddleware implements NestMiddleware {
  private readonly logger = new Logger('CarelessMiddleware');

  use(req: Request, _res: Response, next: NextFunction): void {
    this.logger.warn({
      detail: `saw key ${String(req.headers['x-api-key'])} and cookie ${String(req.headers.cookie)}`,
    });
    next();
  }
}

/** Quotes what the client sent into a log line, as careless code would; exists only in this test. */
@Controller('careless')
class CarelessController {
  private readonly logger = new Logger('CarelessController');

  @Public()
  @Get('query')
  query(@Query() query: Record<string, unknown>): object {
    this.logger.warn({ detail: `looked up ${Object.values(query).map(String).join(' and ')}` });
    return {};
  }

  @Public()
  @Get('headers')
  headers(): object {
    return {};
  }
}

@Module({ controllers: [CarelessController] })
class CarelessModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(CarelessMiddleware).forRoutes('careless/headers');
  }
}

/** A random value that no pattern of the redaction core would mask by its shape. */
const opaque = (): string => `v${randomBytes(12).toString('hex')}`;

const headerNames = (headerText: string): string[] =>
  headerText
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.slice(0, l.indexOf(':')).toLowerCase())
    .filter((name) => name !== 'date')
    .sort();

const headerValues = (headerText: string): string[] =>
  headerText
    .split('\n')
    .filter((l) => l.length > 0 && !/^date:/i.test(l))
    .map((l) => l.slice(l.indexOf(':') + 1).trim());

/** Every value under a neutral query parameter name. */
const asQuery = (values: string[]): string =>
  values.map((v, i) => `n${i}=${encodeURIComponent(v)}`).join('&');

/** Every value as a cookie value: cookie values are request credentials. */
const asCookie = (values: string[]): string => values.map((v, i) => `c${i}=${v}`).join('; ');

/**
 * A request's own values must never become a tool against the server: what the client sends
 * can blank a credential it sent, but never a field of the server's log line or a header the
 * server sets (docs/threat-model.md §2, §4).
 */
describe('Redaction of request credentials', () => {
  const tokens = new FixtureTokens();
  const admin = tokens.rs256({ sub: 'admin-alice', scope: 'api-keys:admin widgets:read' });
  let app: TestApp;

  beforeAll(async () => {
    app = await startPlantedFixtureApp(
      [],
      { ...tokens.env(), API_KEY_FAILURES_PER_MINUTE: '10000' },
      [CarelessModule],
    );
  });
  afterAll(() => closeStarted(app));

  async function createKey(query = '', cookie?: string): Promise<request.Response> {
    const req = request(app.url).post(`/api-keys${query}`).set('Authorization', `Bearer ${admin}`);
    if (cookie !== undefined) void req.set('Cookie', cookie);
    const res = await req.send({ name: 'warehouse sync', scopes: ['widgets:stock'] });
    expect(res.status).toBe(201);
    return res;
  }

  describe('the log', () => {
    async function revokeWith(
      query: (values: string[]) => string,
      cookie: (values: string[]) => string | null,
    ): Promise<void> {
      const { id } = (await createKey()).body as { id: string };
      logCapture.clear();
      const values = ['admin-alice', 'api_key_revoked', id, 'widgets:stock'];
      const req = request(app.url)
        .post(`/api-keys/${id}/revoke?${query(values)}`)
        .set('Authorization', `Bearer ${admin}`);
      const cookieHeader = cookie(values);
      if (cookieHeader !== null) void req.set('Cookie', cookieHeader);
      const res = await req;
      expect(res.status).toBe(200);
      expect(logCapture.lines().filter((l) => l.context === 'ApiKeysService')).toEqual([
        expect.objectContaining({
          event: 'api_key_revoked',
          keyId: id,
          actor: 'admin-alice',
          scopes: 'widgets:stock',
        }),
      ]);
      expect(logCapture.lines().find((l) => l.msg === 'request completed')).toMatchObject({
        route: '/api-keys/:id/revoke',
        principal: 'user:admin-alice',
      });
    }

    it('when a revoke request carries the audit fields as query values, the audit event keeps event, keyId, actor and scopes', async () => {
      await revokeWith(
        (v) => `a=${v[0]}&b=${v[1]}&c=${v[2]}&d=${v[3]}`,
        () => null,
      );
    });

    it('when a revoke request carries the audit fields as cookie values, a credential, the audit event still keeps them', async () => {
      await revokeWith(() => 'q=1', asCookie);
    });

    async function rejectUnknownKey(path: string, cookie?: string): Promise<string> {
      logCapture.clear();
      const { key, publicId } = ApiKeyFormat.generate('test');
      const res = await rawRequest(app.url, {
        method: 'PUT',
        path,
        headers: {
          'x-api-key': key,
          'content-type': 'application/json',
          ...(cookie === undefined ? {} : { cookie }),
        },
        body: '{"stock":1}',
      });
      expect(res.status).toBe(401);
      return publicId;
    }

    it('when an unauthenticated request carries the rejection event and reason as query values, the rejection is logged intact', async () => {
      const publicId = await rejectUnknownKey(
        `/fixture/widgets/${randomBytes(4).toString('hex')}/stock?e=api_key_rejected&r=api_key_unknown`,
      );
      expect(logCapture.lines().find((l) => l.context === 'ApiKeyAuthenticator')).toMatchObject({
        event: 'api_key_rejected',
        reason: 'unknown',
        keyId: publicId,
      });
      expect(logCapture.failures()).toEqual([
        expect.objectContaining({
          msg: 'request rejected',
          reason: 'api_key_unknown',
          route: '/fixture/widgets/:id/stock',
          status: 401,
        }),
      ]);
    });

    it('when the rejection event and reason arrive as cookie values, a credential, the rejection is logged intact', async () => {
      await rejectUnknownKey(
        `/fixture/widgets/${randomBytes(4).toString('hex')}/stock`,
        asCookie([
          'api_key_rejected',
          'api_key_unknown',
          'request rejected',
          '/fixture/widgets/:id/stock',
        ]),
      );
      expect(logCapture.lines().find((l) => l.context === 'ApiKeyAuthenticator')).toMatchObject({
        event: 'api_key_rejected',
      });
      expect(logCapture.failures()).toEqual([
        expect.objectContaining({
          msg: 'request rejected',
          reason: 'api_key_unknown',
          route: '/fixture/widgets/:id/stock',
          status: 401,
        }),
      ]);
    });

    it.each([
      ['access_token', 'credential_in_query'],
      ['token', '/fixture/widgets/:id/stock'],
      ['Api_Key', 'request rejected'],
    ])(
      'when the credential-named query parameter %s carries %s, the access line keeps its fields',
      async (name, value) => {
        logCapture.clear();
        const res = await rawRequest(app.url, {
          method: 'PUT',
          path: `/fixture/widgets/${randomBytes(4).toString('hex')}/stock?${name}=${encodeURIComponent(value)}`,
          headers: { 'content-type': 'application/json' },
          body: '{"stock":1}',
        });
        expect(res.status).toBe(400);
        expect(logCapture.failures()).toEqual([
          expect.objectContaining({
            msg: 'request rejected',
            reason: 'credential_in_query',
            route: '/fixture/widgets/:id/stock',
            status: 400,
          }),
        ]);
      },
    );

    it.each(['api_key', 'API%5FKEY', 'Access_Token'])(
      'when a real credential arrives in the credential-named query parameter %s, its exact value is masked and other values are not',
      async (name) => {
        logCapture.clear();
        const secret = opaque();
        const note = opaque();
        const res = await rawRequest(app.url, {
          method: 'GET',
          path: `/careless/query?${name}=${secret}&note=${note}`,
        });
        expect(res.status).toBe(200);
        const line = logCapture.lines().find((l) => l.context === 'CarelessController');
        expect(line?.detail).toBe(`looked up [REDACTED] and ${note}`);
        expect(logCapture.text()).not.toContain(secret);
      },
    );

    it('when a real credential arrives in a credential header, its exact value is masked in the log', async () => {
      logCapture.clear();
      const key = opaque();
      const session = opaque();
      const res = await rawRequest(app.url, {
        method: 'GET',
        path: '/careless/headers',
        headers: { 'x-api-key': key, cookie: `session=${session}` },
      });
      expect(res.status).toBe(200);
      const line = logCapture.lines().find((l) => l.context === 'CarelessMiddleware');
      expect(line?.detail).toBe('saw key [REDACTED] and cookie [REDACTED]');
      expect(logCapture.text()).not.toContain(key);
      expect(logCapture.text()).not.toContain(session);
    });
  });

  describe('the response headers', () => {
    it('when POST /api-keys carries no-store and application/json as query values, the new key is still sent no-store with its Content-Type', async () => {
      const res = await createKey('?x=no-store&y=application/json');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['content-type']).toMatch(/^application\/json/);
    });

    it('when POST /api-keys carries every header value of a plain create as query and cookie values, every header is still sent', async () => {
      const plain = await createKey();
      const values = Object.entries(plain.headers)
        .filter(([name]) => name !== 'date')
        .map(([, value]) => value);
      const abused = await createKey(`?${asQuery(values)}`, asCookie(values));
      expect(Object.keys(abused.headers).sort()).toEqual(Object.keys(plain.headers).sort());
      expect(abused.headers['cache-control']).toBe('no-store');
      expect(abused.headers['content-type']).toBe(plain.headers['content-type']);
    });

    it('when /health/live carries the HSTS value as a query value, HSTS is still sent', async () => {
      const res = await rawRequest(app.url, {
        method: 'GET',
        path: '/health/live?w=max-age%3D31536000',
      });
      expect(res.status).toBe(200);
      expect(res.headerText).toMatch(/^Strict-Transport-Security: max-age=31536000/im);
    });

    it('when /health/live carries a header value of a plain call as a credential, every header is still sent', async () => {
      const plain = await rawRequest(app.url, { method: 'GET', path: '/health/live' });
      for (const value of headerValues(plain.headerText)) {
        for (const abuse of [
          { path: `/health/live?access_token=${encodeURIComponent(value)}` },
          { path: '/health/live', headers: { cookie: `c=${value}`, 'x-api-key': value } },
        ]) {
          const abused = await rawRequest(app.url, { method: 'GET', ...abuse });
          expect([value, abused.status]).toEqual([value, 200]);
          expect([value, headerNames(abused.headerText)]).toEqual([
            value,
            headerNames(plain.headerText),
          ]);
        }
      }
    });
  });
});
