import { Controller, Get } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { RouteAuditService } from '../src/auth/route-audit.service';
import { AuthModule } from '../src/auth/auth.module';
import { AppConfig } from '../src/config/app-config';
import { ConfigModule } from '../src/config/config.module';
import { startTestApp, TestApp } from './support/test-app';
import { TokenFactory } from './support/tokens';

/** Deny by default: every mapped route refuses an anonymous request unless it is public. */
describe('RouteAuditService', () => {
  const tokens = new TokenFactory();
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp(tokens.env());
  });
  afterAll(() => app.close());

  it('when a route is not public, an anonymous request gets 401 with a Bearer challenge', async () => {
    const routes = app.app.get(RouteAuditService).routes();
    const guarded = routes.filter((r) => r.security?.scheme !== 'public');
    expect(guarded.length).toBeGreaterThan(0);
    for (const route of guarded) {
      const path = route.path.replace(/:[A-Za-z]+/g, '00000000-0000-4000-8000-000000000000');
      const res = await request(app.url)[route.method.toLowerCase() as 'get'](path).send({});
      expect({ route: `${route.method} ${route.path}`, status: res.status }).toEqual({
        route: `${route.method} ${route.path}`,
        status: 401,
      });
      expect(res.headers['www-authenticate']).toMatch(/^(Bearer|ApiKey) realm="leakproof"$/);
    }
  });

  it('when a route is public, an anonymous request is not refused', async () => {
    const routes = app.app.get(RouteAuditService).routes();
    const open = routes.filter((r) => r.security?.scheme === 'public' && r.method === 'GET');
    expect(open.map((r) => r.path)).toContain('/health/live');
    for (const route of open) {
      const res = await request(app.url).get(route.path);
      expect(res.status).not.toBe(401);
    }
  });

  it('when a controller route declares no security, the app refuses to start and names it', async () => {
    @Controller('forgotten')
    class ForgottenController {
      @Get()
      list(): string[] {
        return [];
      }
    }
    const config = AppConfig.fromEnv({
      NODE_ENV: 'test',
      DATABASE_URL: ':memory:',
      ...tokens.env(),
    });
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot(config), AuthModule.forRoot(config)],
      controllers: [ForgottenController],
    }).compile();
    const nest = moduleRef.createNestApplication({ logger: false });
    await expect(nest.init()).rejects.toThrow('ForgottenController.list (GET /forgotten)');
  });
});
