import { Controller, Get, Module } from '@nestjs/common';
import request from 'supertest';
import { RouteAuditService } from '../src/kit/auth/route-audit.service';
import { AppModule } from '../src/app.module';
import { AppFactory } from '../src/kit/app.factory';
import { ApiKeyAuth, JwtAuth, Public } from '../src/kit/auth/route-security.decorator';
import { AppConfig } from '../src/kit/config/app-config';
import { closeStarted } from './support/cleanup';
import { logCapture } from './support/log-capture';
import { FixtureModule } from './support/fixture/fixture.module';
import { WIDGET_SCOPES } from './support/fixture/widget.schema';
import { startTestApp, TestApp } from './support/test-app';
import { TokenFactory } from './support/tokens';

/** Deny by default: every mapped route refuses an anonymous request unless it is public. */
describe('RouteAuditService', () => {
  const tokens = new TokenFactory();
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp(tokens.env(), [FixtureModule]);
  });
  afterAll(() => closeStarted(app));

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

  it("when routes are read from the module tree alone (the key CLI), they are the running app's", () => {
    const key = (r: { method: string; path: string; security?: unknown }) =>
      JSON.stringify([r.method, r.path, r.security]);
    const running = app.app.get(RouteAuditService).routes().map(key).sort();
    const fromModules = RouteAuditService.routesOf(
      RouteAuditService.controllersIn(
        AppModule.forRoot(app.config, [FixtureModule], { logDestination: logCapture }),
      ),
    )
      .map(key)
      .sort();
    expect(running.length).toBeGreaterThan(5);
    expect(fromModules).toEqual(running);
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
    await expect(initWith(ForgottenController)).rejects.toThrow(
      'ForgottenController.list (GET /forgotten): no declaration',
    );
  });

  /** The whole app plus one extra controller, initialised (the audit runs) but not listening. */
  async function initWith(controller: new (...args: never[]) => unknown): Promise<void> {
    const config = AppConfig.fromEnv({
      NODE_ENV: 'test',
      DATABASE_URL: ':memory:',
      ...tokens.env(),
    });
    @Module({ controllers: [controller] })
    class PlantedModule {}
    const nest = await AppFactory.create(config, [FixtureModule, PlantedModule], {
      logDestination: logCapture,
      shutdownSignals: false,
    });
    try {
      await nest.init();
    } finally {
      await nest.close();
    }
  }

  it('when a handler declares a JWT and an API key, the app refuses to start and names it', async () => {
    @Controller('mixed')
    class MixedController {
      @Get()
      @JwtAuth(WIDGET_SCOPES.read)
      @ApiKeyAuth(WIDGET_SCOPES.read)
      list(): string[] {
        return [];
      }
    }
    await expect(initWith(MixedController)).rejects.toThrow(
      'MixedController.list (GET /mixed): 2 declarations (api-key, jwt)',
    );
  });

  it('when a public controller has a handler that adds a scheme, the app refuses to start', async () => {
    @Public()
    @Controller('half-open')
    class HalfOpenController {
      @Get('a')
      open(): string[] {
        return [];
      }

      @Get('b')
      @JwtAuth()
      guarded(): string[] {
        return [];
      }
    }
    const refusal = initWith(HalfOpenController);
    await expect(refusal).rejects.toThrow(
      'HalfOpenController.guarded (GET /half-open/b): 2 declarations (jwt, public)',
    );
    await expect(refusal).rejects.not.toThrow('HalfOpenController.open');
  });

  it('when the same decorator is applied twice, the app refuses to start', async () => {
    @Controller('twice')
    class TwiceController {
      @Get()
      @JwtAuth(WIDGET_SCOPES.read)
      @JwtAuth(WIDGET_SCOPES.write)
      list(): string[] {
        return [];
      }
    }
    await expect(initWith(TwiceController)).rejects.toThrow(
      'TwiceController.list (GET /twice): 2 declarations (jwt, jwt)',
    );
  });

  it('when every route declares exactly one scheme, the app starts', async () => {
    @Controller('sound')
    class SoundController {
      @Get('a')
      @Public()
      open(): string[] {
        return [];
      }

      @Get('b')
      @ApiKeyAuth(WIDGET_SCOPES.stock)
      machine(): string[] {
        return [];
      }
    }
    await expect(initWith(SoundController)).resolves.toBeUndefined();
  });
});
