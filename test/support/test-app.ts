import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import { AppModule } from '../../src/app.module';
import { configureApp } from '../../src/app.setup';
import { AppConfig } from '../../src/config/app-config';
import { logCapture } from './log-capture';

export interface TestApp {
  app: NestExpressApplication;
  config: AppConfig;
  /** Base URL of the real HTTP server on loopback. */
  url: string;
  close(): Promise<void>;
}

/**
 * Starts the real app, built through the same app.setup as production, on an ephemeral
 * loopback port, with an environment the test chooses (nothing is read from process.env).
 */
export async function startTestApp(env: Record<string, string | undefined>): Promise<TestApp> {
  const config = AppConfig.fromEnv({
    NODE_ENV: 'test',
    DATABASE_URL: ':memory:',
    LOG_LEVEL: 'info',
    ...env,
  });
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot(config, { logDestination: logCapture }),
    { bodyParser: false, bufferLogs: true },
  );
  configureApp(app, config);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return {
    app,
    config,
    url: `http://127.0.0.1:${port}`,
    close: () => app.close(),
  };
}
