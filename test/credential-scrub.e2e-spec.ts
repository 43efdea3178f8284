import { Controller, Get, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { randomBytes } from 'node:crypto';
import { JwtAuth } from '../src/kit/auth/route-security.decorator';
import { closeStarted } from './support/cleanup';
import { startPlantedFixtureApp } from './support/fixture/planted-fixture-app';
import { rawRequest } from './support/raw-http';
import type { TestApp } from './support/test-app';
import { FixtureTokens } from './support/fixture/fixture-tokens';

const downstreamKey = `dk${randomBytes(16).toString('hex')}`;

/** What a careless handler would do with the request's credentials; exists only in this test. */
@Controller('scrub')
class CarelessController {
  @JwtAuth()
  @Get('headers')
  headers(@Req() req: Request): object {
    const raw = req.rawHeaders.filter((_v, i) => i % 2 === 0).map((h) => h.toLowerCase());
    return {
      authorization: req.headers.authorization ?? null,
      cookie: req.headers.cookie ?? null,
      authToken: req.headers['x-auth-token'] ?? null,
      rawNames: raw.filter((h) => ['authorization', 'cookie', 'x-auth-token'].includes(h)),
    };
  }

  @JwtAuth()
  @Get('debug-header')
  debugHeader(@Res({ passthrough: true }) res: Response): object {
    res.setHeader('X-Debug-Upstream', `key=${downstreamKey}`);
    res.setHeader('X-Harmless', 'ok');
    return {};
  }

  @JwtAuth()
  @Get('debug-then-fail')
  debugThenFail(@Res({ passthrough: true }) res: Response): never {
    res.setHeader('X-Debug-Upstream', `key=${downstreamKey}`);
    throw new Error('upstream call failed');
  }
}

const tokens = new FixtureTokens();
let app: TestApp;

beforeAll(async () => {
  app = await startPlantedFixtureApp([CarelessController], {
    ...tokens.env(),
    DOWNSTREAM_BASE_URL: 'http://127.0.0.1:9',
    DOWNSTREAM_API_KEY: downstreamKey,
  });
});
afterAll(() => closeStarted(app));

describe('AuthenticationGuard', () => {
  it('when the guard accepted the token, the handler can no longer read credential headers', async () => {
    const res = await rawRequest(app.url, {
      method: 'GET',
      path: '/scrub/headers',
      headers: {
        authorization: `Bearer ${tokens.rs256()}`,
        cookie: 'session=abc',
        'x-auth-token': 'k',
      },
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({
      authorization: null,
      cookie: null,
      authToken: null,
      rawNames: [],
    });
    expect(res.headerText).toMatch(/^Cache-Control: no-store$/im);
  });
});

describe('SecurityHeaders', () => {
  it('when a handler sets a response header holding a secret, the header is dropped', async () => {
    const res = await rawRequest(app.url, {
      method: 'GET',
      path: '/scrub/debug-header',
      headers: { authorization: `Bearer ${tokens.rs256()}` },
    });
    expect(res.status).toBe(200);
    expect(res.headerText).not.toMatch(/X-Debug-Upstream/i);
    expect(res.headerText).not.toContain(downstreamKey);
    expect(res.headerText).toMatch(/^X-Harmless: ok$/im);
  });

  it('when a handler sets a secret header and then throws, the error response drops it too', async () => {
    const res = await rawRequest(app.url, {
      method: 'GET',
      path: '/scrub/debug-then-fail',
      headers: { authorization: `Bearer ${tokens.rs256()}` },
    });
    expect(res.status).toBe(500);
    expect(res.headerText).not.toMatch(/X-Debug-Upstream/i);
    expect(res.headerText).not.toContain(downstreamKey);
    expect(res.headerText).toMatch(/^Cache-Control: no-store$/im);
  });

  it('when the guard refuses, the handler never runs and the 401 still carries no-store', async () => {
    const res = await rawRequest(app.url, { method: 'GET', path: '/scrub/headers' });
    expect(res.status).toBe(401);
    expect(res.headerText).toMatch(/^Cache-Control: no-store$/im);
  });

  it('when no route matches, the 404 carries no-store and the security headers', async () => {
    const res = await rawRequest(app.url, { method: 'GET', path: '/scrub/nothing-here' });
    expect(res.status).toBe(404);
    expect(res.headerText).toMatch(/^Cache-Control: no-store$/im);
    expect(res.headerText).toMatch(
      /^Strict-Transport-Security: max-age=31536000; includeSubDomains$/im,
    );
    expect(res.headerText).toMatch(/^Content-Security-Policy: .*frame-ancestors 'none'/im);
  });
});
