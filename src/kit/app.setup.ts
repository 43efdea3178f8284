import type { NestExpressApplication } from '@nestjs/platform-express';
import helmet, { type HelmetOptions } from 'helmet';
import { Logger } from 'nestjs-pino';
import { AppConfig } from './config/app-config';
import { HttpServerHardening } from './http/http-server-hardening';
import { OpenApiDocument } from './openapi/openapi-document';
import { RequestContextMiddleware } from './security/request-context.middleware';
import { ConnectionDrain } from './shutdown/connection-drain';
import { ShutdownSignals } from './shutdown/shutdown-signals';

/**
 * The headers that protect API responses (OWASP REST Security Cheat Sheet: CSP with
 * `frame-ancestors 'none'`, HSTS, nosniff, X-Frame-Options; Cache-Control is the scrub
 * interceptor's and the filter's) plus the isolation headers the docs page uses (CORP, COOP,
 * Referrer-Policy). Helmet's legacy headers for HTML in old browsers are off: X-XSS-Protection
 * (IE's auditor), X-Download-Options (IE8), X-DNS-Prefetch-Control, X-Permitted-Cross-Domain-
 * Policies (Flash) and Origin-Agent-Cluster protect nothing a JSON API serves.
 */
const HELMET_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: { directives: { frameAncestors: ["'none'"] } },
  xXssProtection: false,
  xDownloadOptions: false,
  xDnsPrefetchControl: false,
  xPermittedCrossDomainPolicies: false,
  originAgentCluster: false,
  // DENY, consistent with `frame-ancestors 'none'` (helmet's default is SAMEORIGIN).
  xFrameOptions: { action: 'deny' },
  // Express never sets it here (`x-powered-by` is disabled below), so nothing to remove.
  xPoweredBy: false,
};

/**
 * What production and the e2e tests both apply to the app, in pipeline order. The app must be
 * created with `bodyParser: false`: the body is parsed later, by SecurityModule's middleware,
 * after the request context is open and the access logger is attached, so a malformed or
 * oversized body still gets its request id and its access-log line.
 */
export function configureApp(app: NestExpressApplication, config: AppConfig): void {
  const logger = app.get(Logger);
  app.useLogger(logger);
  // main creates the app with `autoFlushLogs: false` (a failed start must not print Nest's
  // buffered raw error); the lines buffered so far go to the JSON log now.
  app.flushLogs();
  HttpServerHardening.apply(app.getHttpServer(), config.http, logger);
  app.disable('x-powered-by');
  // Every response is `Cache-Control: no-store`, so an ETag is never revalidated: computing
  // one would hash each body for nothing.
  app.set('etag', false);
  // Security: X-Forwarded-For is client-controlled; it is believed only for the configured
  // number of proxy hops (TRUST_PROXY_HOPS), so the rate limiter keys on the real client address.
  app.set('trust proxy', config.trustProxyHops > 0 ? config.trustProxyHops : false);
  app.use(app.get(ConnectionDrain).handle);
  app.use(RequestContextMiddleware.handle);
  app.use(helmet(HELMET_OPTIONS));
  if (config.corsOrigins.length > 0) {
    // Security: an allowlist only — never `*`, never the request's own Origin reflected
    // (OWASP ASVS 3.4.2; docs/threat-model.md §7). Credential headers are never exposed to scripts.
    app.enableCors({
      origin: config.corsOrigins,
      credentials: false,
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'X-API-Key'],
      exposedHeaders: ['X-Request-Id', 'Retry-After'],
      maxAge: 600,
    });
  }
  if (config.docsEnabled) OpenApiDocument.mount(app);
  // SIGTERM/SIGINT: stop accepting, drain in-flight requests (ConnectionDrain), close the pool
  // and Redis, then exit 0; exit 1 if that takes longer than SHUTDOWN_TIMEOUT_MS. Test apps
  // stop listening (test/support/test-app.ts): the test runner owns its signals.
  app.get(ShutdownSignals).listen(app);
}
