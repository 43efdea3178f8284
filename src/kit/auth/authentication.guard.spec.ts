import { randomBytes } from 'node:crypto';
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { TokenFactory } from '../../../test/support/tokens';
import { ApiKeyAuthenticator } from '../api-keys/api-key.authenticator';
import { AppConfig } from '../config/app-config';
import { ProblemException } from '../security/problem.exception';
import { RequestContext } from '../security/request-context';
import { AuthenticationGuard } from './authentication.guard';
import { JwtAuthenticator } from './jwt.authenticator';
import { JwtStrategy } from './jwt.strategy';
import { JwtKeyResolver } from './jwt-key.resolver';
import { ApiKeyAuth, JwtAuth, Public, ROUTE_SECURITY } from './route-security.decorator';
import { ScopeGuard } from './scope.guard';

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'leakproof-test';

class Routes {
  @Public()
  open(): void {}
  @JwtAuth()
  jwt(): void {}
  @JwtAuth('items:read', 'items:write')
  twoScopes(): void {}
  @ApiKeyAuth('stock:write')
  apiKey(): void {}
  undeclared(): void {}
}
/** A handler whose declaration names a scheme no guard knows. */
const unknownScheme = (): void => undefined;
Reflect.defineMetadata(ROUTE_SECURITY, { scheme: 'unknown' }, unknownScheme);

interface FakeRequest {
  url: string;
  headers: Record<string, unknown>;
  rawHeaders: string[];
  user?: unknown;
}

function request(url: string, headers: [string, string][] = []): FakeRequest {
  return {
    url,
    headers: Object.fromEntries(headers.map(([name, value]) => [name.toLowerCase(), value])),
    rawHeaders: headers.flat(),
  };
}

function context(route: keyof Routes | 'unknown', req: FakeRequest, type = 'http') {
  const handler =
    route === 'unknown'
      ? unknownScheme
      : (Object.getOwnPropertyDescriptor(Routes.prototype, route)?.value as () => void);
  const host = new ExecutionContextHost([req, { setHeader: () => undefined }], Routes, handler);
  host.setType(type);
  return host;
}

/** 'allowed', 'denied' (false), or the problem's status and closed reason. */
async function outcome(guard: { canActivate(c: never): unknown }, c: unknown): Promise<string> {
  try {
    return (await guard.canActivate(c as never)) === true ? 'allowed' : 'denied';
  } catch (error) {
    if (!(error instanceof ProblemException)) throw error;
    return `${String(error.getStatus())} ${String(error.problem.reason)}`;
  }
}

describe('AuthenticationGuard', () => {
  const secret = randomBytes(32).toString('base64url');
  const config = AppConfig.fromEnv({
    NODE_ENV: 'test',
    DATABASE_URL: ':memory:',
    JWT_SECRET: secret,
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
  });
  new JwtStrategy(config, new JwtKeyResolver(config, null));
  // The key routes asked here are refused before a key is looked up: no verifier is reached.
  const guard = new AuthenticationGuard(
    new Reflector(),
    new JwtAuthenticator(),
    new ApiKeyAuthenticator(undefined as never, undefined as never),
  );
  const token = (): string => {
    const now = Math.floor(Date.now() / 1000);
    return TokenFactory.signHs(
      secret,
      { alg: 'HS256', typ: 'at+jwt' },
      { iss: ISSUER, aud: AUDIENCE, sub: 'alice', iat: now, exp: now + 60, scope: 'items:read' },
    );
  };

  it('when the context is not HTTP, the request is denied, even on a public route', async () => {
    await expect(outcome(guard, context('open', request('/'), 'rpc'))).resolves.toBe('denied');
    await expect(outcome(guard, context('open', request('/'), 'ws'))).resolves.toBe('denied');
  });

  it('when a route declares an unknown scheme, the request is denied', async () => {
    const req = request('/', [['Authorization', `Bearer ${token()}`]]);
    await expect(outcome(guard, context('unknown', req))).resolves.toBe('denied');
    expect(req.rawHeaders).toHaveLength(2);
  });

  it('when a route is public, the request is let through with no credential', async () => {
    await expect(outcome(guard, context('open', request('/')))).resolves.toBe('allowed');
  });

  it('when a route declares no scheme, it is checked as a JWT route', async () => {
    await expect(outcome(guard, context('undeclared', request('/')))).resolves.toBe(
      '401 missing_credentials',
    );
    const req = request('/', [['Authorization', `Bearer ${token()}`]]);
    await expect(outcome(guard, context('undeclared', req))).resolves.toBe('allowed');
  });

  it('when a JWT route gets a valid token, it is let through and every credential header is gone', async () => {
    const req = request('/', [
      ['Authorization', `Bearer ${token()}`],
      ['Accept', 'application/json'],
      ['Cookie', 'session=abc'],
      ['X-Auth-Token', 'other'],
    ]);
    await expect(outcome(guard, context('jwt', req))).resolves.toBe('allowed');
    expect(req.rawHeaders).toEqual(['Accept', 'application/json']);
    expect(req.headers.authorization).toBeUndefined();
    expect(req.headers.cookie).toBeUndefined();
    expect(req.headers['x-auth-token']).toBeUndefined();
    expect(req.headers.accept).toBe('application/json');
  });

  it('when a request is refused, its credential headers are left for the error path', async () => {
    const req = request('/', [['Authorization', 'Bearer a.b']]);
    await expect(outcome(guard, context('jwt', req))).resolves.toBe('401 malformed');
    expect(req.rawHeaders).toEqual(['Authorization', 'Bearer a.b']);
  });

  it('when a key route gets a bearer token and no key, it is refused with the ApiKey challenge', async () => {
    const req = request('/', [['Authorization', `Bearer ${token()}`]]);
    await expect(outcome(guard, context('apiKey', req))).resolves.toBe('401 missing_credentials');
  });

  it.each([
    [
      'two Authorization headers',
      '/',
      [
        ['Authorization', 'Bearer a'],
        ['authorization', 'Bearer b'],
      ],
    ],
    [
      'a token and a key',
      '/',
      [
        ['Authorization', 'Bearer a'],
        ['X-API-Key', 'k'],
      ],
    ],
    [
      'two X-API-Key headers',
      '/',
      [
        ['x-api-key', 'a'],
        ['X-Api-Key', 'b'],
      ],
    ],
    ['a header and a query credential', '/?access_token=a', [['Authorization', 'Bearer a']]],
    ['two query credentials', '/?token=a&API_KEY=b', []],
    ['one query credential twice', '/?token=a&token=b', []],
  ] as [string, string, [string, string][]][])(
    'when a request carries %s, it is 400 multiple_credentials on any route',
    async (_name, url, headers) => {
      for (const route of ['open', 'jwt', 'apiKey'] as const) {
        await expect(outcome(guard, context(route, request(url, headers)))).resolves.toBe(
          '400 multiple_credentials',
        );
      }
    },
  );

  it('when two query credentials follow a path, both are counted', async () => {
    await expect(
      outcome(guard, context('open', request('/items?token=a&access_token=b'))),
    ).resolves.toBe('400 multiple_credentials');
  });

  it('when a request is let through, its route template is recorded for the access log', async () => {
    const req = { ...request('/items/7'), route: { path: '/items/:id' } };
    await expect(outcome(guard, context('open', req))).resolves.toBe('allowed');
    expect(RequestContext.routeOf(req)).toBe('/items/:id');
  });

  it('when a request carries one credential and other headers or parameters, it is not counted twice', async () => {
    const req = request('/?page=2&tokens=x', [
      ['Accept', 'text/plain'],
      ['Authorization', `Bearer ${token()}`],
      ['Cookie', 'a=b'],
    ]);
    await expect(outcome(guard, context('jwt', req))).resolves.toBe('allowed');
    await expect(outcome(guard, context('open', request('/?token=a')))).resolves.toBe('allowed');
    await expect(outcome(guard, context('open', request('/?')))).resolves.toBe('allowed');
  });
});

describe('ScopeGuard', () => {
  const guard = new ScopeGuard(new Reflector());
  const withUser = (scopes: string[] | null): FakeRequest => ({
    ...request('/'),
    ...(scopes ? { user: { kind: 'user', subject: 'a', scopes: new Set(scopes) } } : {}),
  });

  it('when a route needs two scopes, the principal must hold both', async () => {
    await expect(
      outcome(guard, context('twoScopes', withUser(['items:read', 'items:write']))),
    ).resolves.toBe('allowed');
    await expect(outcome(guard, context('twoScopes', withUser(['items:read'])))).resolves.toBe(
      '403 insufficient_scope',
    );
    await expect(outcome(guard, context('twoScopes', withUser(['items:write'])))).resolves.toBe(
      '403 insufficient_scope',
    );
  });

  it('when the refusal is sent, its challenge names the scheme and every required scope', () => {
    try {
      guard.canActivate(context('twoScopes', withUser([])));
      throw new Error('not refused');
    } catch (error) {
      expect((error as ProblemException).problem.headers?.['WWW-Authenticate']).toBe(
        'Bearer realm="leakproof", error="insufficient_scope", scope="items:read items:write"',
      );
    }
    try {
      guard.canActivate(context('apiKey', withUser(['other'])));
      throw new Error('not refused');
    } catch (error) {
      expect((error as ProblemException).problem.headers?.['WWW-Authenticate']).toBe(
        'ApiKey realm="leakproof", error="insufficient_scope", scope="stock:write"',
      );
    }
  });

  it('when there is no principal, a scoped route is refused', async () => {
    await expect(outcome(guard, context('apiKey', withUser(null)))).resolves.toBe(
      '403 insufficient_scope',
    );
  });

  it('when a route needs no scope, is public or declares nothing, any principal passes', async () => {
    await expect(outcome(guard, context('jwt', withUser(null)))).resolves.toBe('allowed');
    await expect(outcome(guard, context('open', withUser(null)))).resolves.toBe('allowed');
    await expect(outcome(guard, context('undeclared', withUser(null)))).resolves.toBe('allowed');
  });
});
