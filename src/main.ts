import type { NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { AppConfig } from './config/app-config';
import { ConfigError } from './config/config-error';
import { LeakproofExpressAdapter } from './security/leakproof-express.adapter';
import { ProcessSafetyNet } from './security/process-safety-net';
import { Redactor } from './security/redactor';

async function bootstrap(): Promise<void> {
  let config: AppConfig;
  try {
    config = AppConfig.fromEnv(process.env);
    AppConfig.scrubEnvironment(process.env);
  } catch (error) {
    // Security: names and rules only; ConfigError never holds a value.
    process.stderr.write(
      `${error instanceof ConfigError ? error.message : 'Invalid configuration'}\n`,
    );
    process.exit(1);
  }
  const options: NestApplicationOptions = { bodyParser: false, bufferLogs: true };
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot(config),
    new LeakproofExpressAdapter(),
    options,
  );
  configureApp(app, config);
  const logger = app.get(Logger);
  ProcessSafetyNet.install(logger, app.get(Redactor));
  await app.listen(config.port, config.host);
  logger.log(`listening on http://${config.host}:${config.port}`, 'Bootstrap');
}

void bootstrap();
