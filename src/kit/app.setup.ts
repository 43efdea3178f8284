import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { AppConfig } from './config/app-config';
import { HttpServerHardening } from './http/http-server-hardening';
import { RequestPipeline } from './http/request-pipeline';
import { OpenApiDocument } from './openapi/openapi-document';
import { ShutdownSignals } from './shutdown/shutdown-signals';

export interface ConfigureOptions {
  /**
   * SIGTERM/SIGINT: stop accepting, drain in-flight requests (ConnectionDrain), close the pool
   * and Redis, then exit 0; exit 1 if that takes longer than SHUTDOWN_TIMEOUT_MS. Off where
   * the process belongs to someone else: the test runner, the OpenAPI export.
   */
  shutdownSignals: boolean;
}

/**
 * What every app gets before it is initialised: the JSON logger, server hardening, Express
 * settings, the request pipeline (src/kit/http/request-pipeline.ts) and the docs page. The app
 * must be created with `bodyParser: false` (AppFactory does): the pipeline parses the body.
 */
export function configureApp(
  app: NestExpressApplication,
  config: AppConfig,
  options: ConfigureOptions,
): void {
  const logger = app.get(Logger);
  app.useLogger(logger);
  // The app is created with `autoFlushLogs: false` (a failed start must not print Nest's
  // buffered raw error); the lines buffered so far go to the JSON log now.
  app.flushLogs();
  HttpServerHardening.apply(app.getHttpServer(), config.http.server, logger);
  app.disable('x-powered-by');
  // Every response is `Cache-Control: no-store`, so an ETag is never revalidated: computing
  // one would hash each body for nothing.
  app.set('etag', false);
  // Security: X-Forwarded-For is client-controlled; it is believed only for the configured
  // number of proxy hops (TRUST_PROXY_HOPS), so the rate limiter keys on the real client address.
  app.set('trust proxy', config.http.trustProxyHops > 0 ? config.http.trustProxyHops : false);
  RequestPipeline.apply(app, config);
  if (config.docs.enabled) OpenApiDocument.mount(app);
  if (options.shutdownSignals) app.get(ShutdownSignals).listen(app);
}
