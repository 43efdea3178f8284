import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { DestinationStream } from 'pino';
import { AppModule, type FeatureModules } from '../app.module';
import { configureApp } from './app.setup';
import { AppConfig } from './config/app-config';
import { SharedNotFoundAdapter } from './http/shared-not-found.adapter';

export interface AppFactoryOptions {
  /** Where logs go; tests pass a capture stream. Default: stdout. */
  logDestination?: DestinationStream;
  /** Whether SIGTERM/SIGINT shut the app down gracefully. Default: true (production). */
  shutdownSignals?: boolean;
}

/** How long closing a half-built app may take (pool, Redis) before the caller moves on. */
const CLOSE_BOUND_MS = 5000;

/**
 * The one way to build the app: production (src/main.ts), every test, the OpenAPI export and
 * the benchmarks build it here, so they all run the same modules and the same request
 * pipeline. The app is created and configured, not initialised and not listening: the caller
 * decides when to `init()` or `listen()`.
 */
export class AppFactory {
  static async create(
    config: AppConfig,
    features: FeatureModules,
    options: AppFactoryOptions = {},
  ): Promise<NestExpressApplication> {
    const app = await NestFactory.create<NestExpressApplication>(
      AppModule.forRoot(config, features, { logDestination: options.logDestination }),
      new SharedNotFoundAdapter(),
      {
        // The request pipeline parses the body, after the request context and the access log.
        bodyParser: false,
        bufferLogs: true,
        // Security: Nest's defaults abort the process on a failed create and print the
        // buffered raw error; here the failure is the caller's to report, and the buffered
        // lines reach the JSON log only through configureApp.
        abortOnError: false,
        autoFlushLogs: false,
      },
    );
    try {
      configureApp(app, config, { shutdownSignals: options.shutdownSignals ?? true });
      return app;
    } catch (error) {
      await AppFactory.close(app);
      throw error;
    }
  }

  /** Closes what an app opened, waiting at most CLOSE_BOUND_MS; never throws. */
  static async close(app: NestExpressApplication | undefined): Promise<void> {
    const bound = new Promise<void>((resolve) => setTimeout(resolve, CLOSE_BOUND_MS).unref());
    await Promise.race([app?.close().catch(() => undefined), bound]);
  }
}
