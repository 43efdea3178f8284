import './require-node';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { FEATURES } from './features';
import { AppFactory } from './kit/app.factory';
import { AppConfig } from './kit/config/app-config';
import { ConfigError } from './kit/config/config-error';
import { scrub } from './kit/config/secret-source';
import { ProcessSafetyNet } from './kit/security/process-safety-net';
import { Redactor } from './kit/security/redactor';
import { StartupFailure, StartupStep } from './kit/security/startup-failure';
import { LocalEnvFile } from './kit/config/local-env-file';

interface Startup {
  step: StartupStep;
  app?: NestExpressApplication;
}

function loadConfig(): AppConfig {
  try {
    LocalEnvFile.load();
    const config = AppConfig.fromEnv(process.env);
    scrub(process.env);
    return config;
  } catch (error) {
    // Security: names and rules only; ConfigError never holds a value.
    process.stderr.write(
      `${error instanceof ConfigError ? error.message : 'Invalid configuration'}\n`,
    );
    process.exit(1);
  }
}

async function start(config: AppConfig, startup: Startup): Promise<void> {
  // A failure here is ours to report (fail() below): AppFactory never aborts the process.
  startup.app = await AppFactory.create(config, FEATURES);
  const app = startup.app;
  startup.step = 'init';
  await app.init();
  startup.step = 'listen';
  await app.listen(config.http.port, config.http.host);
  const logger = app.get(Logger);
  ProcessSafetyNet.install(logger, app.get(Redactor));
  logger.log(`listening on http://${config.http.host}:${config.http.port}`, 'Bootstrap');
}

/** Closes what a failed start opened (pool, Redis), bounded, then exits 1. */
async function stop(app: NestExpressApplication | undefined): Promise<void> {
  await AppFactory.close(app);
  process.exit(1);
}

/**
 * Every failed start ends the same way: one plain-text message on stderr naming the step and a
 * safe cause, what was opened closed, and exit status 1, so a restart-on-failure policy
 * restarts the app.
 */
function main(): void {
  const config = loadConfig();
  const startup: Startup = { step: 'create' };
  let failed = false;
  const fail = (reason: unknown): Promise<void> => {
    if (failed) return Promise.resolve();
    failed = true;
    const cause = StartupFailure.describe(startup.step, reason, config);
    process.stderr.write(`Startup failed: ${cause}\n`);
    process.exitCode = 1;
    return stop(startup.app);
  };
  const uninstall = ProcessSafetyNet.installForStartup((reason) => void fail(reason));
  start(config, startup).then(uninstall, fail).catch(fail);
}

main();
