import { Module, Type } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { AppConfig } from '../../src/kit/config/app-config';
import { listenTestApp, type TestApp } from './test-app';
import { DemoModule } from '../../src/demo/demo.module';

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
  const app = await listenTestApp(config, [DemoModule, { module: PlantedAppModule, controllers }]);
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, config, url: `http://127.0.0.1:${port}`, close: () => app.close() };
}
