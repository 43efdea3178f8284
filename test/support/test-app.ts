import type { NestExpressApplication } from '@nestjs/platform-express';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import type { FeatureModules } from '../../src/app.module';
import { AppFactory } from '../../src/kit/app.factory';
import { AppConfig } from '../../src/kit/config/app-config';
import { logCapture } from './log-capture';
import { DemoModule } from '../../src/demo/demo.module';

export interface TestApp {
  app: NestExpressApplication;
  config: AppConfig;
  /** Base URL of the real HTTP server on loopback. */
  url: string;
  close(): Promise<void>;
}

/**
 * A throwaway PostgreSQL database for one app, created through the server named by
 * TEST_DATABASE_URL (the integration run) and dropped when the app closes.
 */
export class ThrowawayDatabase {
  private constructor(
    private readonly adminUrl: string,
    readonly name: string,
    readonly url: string,
  ) {}

  static async create(adminUrl: string): Promise<ThrowawayDatabase> {
    const name = `lp_${randomBytes(6).toString('hex')}`;
    await ThrowawayDatabase.admin(adminUrl, `CREATE DATABASE ${name}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return new ThrowawayDatabase(adminUrl, name, url.toString());
  }

  async drop(): Promise<void> {
    await ThrowawayDatabase.admin(
      this.adminUrl,
      `DROP DATABASE IF EXISTS ${this.name} WITH (FORCE)`,
    );
  }

  private static async admin(adminUrl: string, statement: string): Promise<void> {
    const client = new Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  }
}

/**
 * Starts the real app, built by the same AppFactory as production, on an ephemeral
 * loopback port, with an environment the test chooses (nothing else is read from process.env).
 *
 * The integration run (`npm run test:integration`) sets TEST_DATABASE_URL and TEST_REDIS_URL:
 * then every app gets its own throwaway PostgreSQL database and a Redis key namespace of its
 * own, unless the test sets DATABASE_URL, REDIS_URL or REDIS_KEY_PREFIX itself (a key present
 * with the value `undefined` means "none").
 */
export async function startTestApp(
  env: Record<string, string | undefined>,
  features: FeatureModules = [DemoModule],
): Promise<TestApp> {
  const database =
    process.env.TEST_DATABASE_URL && !('DATABASE_URL' in env)
      ? await ThrowawayDatabase.create(process.env.TEST_DATABASE_URL)
      : null;
  const redis =
    process.env.TEST_REDIS_URL && !('REDIS_URL' in env)
      ? {
          REDIS_URL: process.env.TEST_REDIS_URL,
          REDIS_KEY_PREFIX: `lp-test-${randomBytes(6).toString('hex')}`,
        }
      : {};
  try {
    const config = AppConfig.fromEnv({
      NODE_ENV: 'test',
      DATABASE_URL: database?.url ?? ':memory:',
      LOG_LEVEL: 'info',
      ...redis,
      ...env,
    });
    const app = await listenTestApp(config, features);
    const { port } = app.getHttpServer().address() as AddressInfo;
    return {
      app,
      config,
      url: `http://127.0.0.1:${port}`,
      close: async () => {
        await app.close();
        await database?.drop();
      },
    };
  } catch (error) {
    await database?.drop();
    throw error;
  }
}

/**
 * Builds the app with the same AppFactory as production, logging to the capture stream, and
 * listens on an ephemeral loopback port. A failed start rejects (Nest's default would abort the
 * test process) after closing what the half-created app opened (pool, Redis connections,
 * timers), which would otherwise keep Jest running after the suite.
 */
export async function listenTestApp(
  config: AppConfig,
  features: FeatureModules,
): Promise<NestExpressApplication> {
  // The test runner owns SIGINT and SIGTERM: a test app must never end the Jest process.
  const app = await AppFactory.create(config, features, {
    logDestination: logCapture,
    shutdownSignals: false,
  });
  try {
    await app.listen(0, '127.0.0.1');
    return app;
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
}
