import { Module, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import { AppModule } from '../../src/app.module';
import { configureApp } from '../../src/app.setup';
import { LeakproofExpressAdapter } from '../../src/security/leakproof-express.adapter';
import { AppConfig } from '../../src/config/app-config';
import { logCapture } from './log-capture';
import type { TestApp } from './test-app';

@Module({})
class PlantedAppModule {}

/**
 * The real app plus controllers that exist only in one test (a route that throws, one that
 * echoes a credential on purpose), so the pipeline's handling of them can be proven.
 */
export async function startPlantedApp(
  controllers: Type[],
  env: Record<string, string | undefined>,
): Promise<TestApp> {
  const config = AppConfig.fromEnv({ NODE_ENV: 'test', DATABASE_URL: ':memory:', ...env });
  const app = await NestFactory.create<NestExpressApplication>(
    {
      module: PlantedAppModule,
      imports: [AppModule.forRoot(config, { logDestination: logCapture })],
      controllers,
    },
    new LeakproofExpressAdapter(),
    { bodyParser: false, bufferLogs: true },
  );
  configureApp(app, config);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, config, url: `http://127.0.0.1:${port}`, close: () => app.close() };
}
