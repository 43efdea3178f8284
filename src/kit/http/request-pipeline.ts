import { Module } from '@nestjs/common';
import type {
  CanActivate,
  ExceptionFilter,
  NestInterceptor,
  PipeTransform,
  Type,
} from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { json, type RequestHandler } from 'express';
import type { ServerResponse } from 'node:http';
import { PinoLogger } from 'nestjs-pino';
import { AuthenticationGuard } from '../auth/authentication.guard';
import { ScopeGuard } from '../auth/scope.guard';
import { AppConfig } from '../config/app-config';
import { AccessLogMiddleware } from '../logging/access-log.middleware';
import { checkJsonDepth } from '../security/json-depth';
import { ProblemDetailsFilter } from '../security/problem-details.filter';
import { RedactionModule } from '../security/redaction.module';
import { Redactor } from '../security/redactor';
import { RequestContextMiddleware } from '../security/request-context.middleware';
import { SchemaValidationPipe } from '../security/schema-validation.pipe';
import { SecurityHeaders } from '../security/security-headers';
import { ConnectionDrain } from '../shutdown/connection-drain';
import { RateLimitGuard } from '../throttling/rate-limit.guard';

/** Request bodies above this are refused with 413 (OWASP API4:2023). */
export const BODY_LIMIT = '100kb';
/**
 * JSON bodies nested deeper than this are refused with 400 before they are parsed (OWASP
 * API4:2023): no schema here comes near it, and it keeps any walk over a body shallow.
 */
export const MAX_JSON_DEPTH = 32;

export type PipelineStage =
  | {
      kind: 'middleware';
      name: string;
      /** Undefined when configuration turns the stage off. */
      handler: (app: NestExpressApplication, config: AppConfig) => RequestHandler | undefined;
    }
  | { kind: 'guard'; name: string; type: Type<CanActivate> }
  | { kind: 'interceptor'; name: string; type: Type<NestInterceptor> }
  | { kind: 'pipe'; name: string; type: Type<PipeTransform> }
  | { kind: 'filter'; name: string; type: Type<ExceptionFilter> };

/**
 * Every stage a request passes, in the order it passes them (docs/threat-model.md). A test
 * holds this order: test/request-pipeline.e2e-spec.ts.
 */
export const REQUEST_PIPELINE: readonly PipelineStage[] = [
  // Tracks in-flight requests so shutdown can drain them: on the HTTP server's own events,
  // before any middleware, so every request is counted; it mounts no middleware.
  {
    kind: 'middleware',
    name: 'connection-drain',
    handler: (app) => {
      app.get(ConnectionDrain).attach(app.getHttpServer());
      return undefined;
    },
  },
  // Opens the request context (request id, the credentials to scrub) before anything can log.
  {
    kind: 'middleware',
    name: 'request-context',
    handler: () => RequestContextMiddleware.handle,
  },
  // Security headers and no-store on every response, constants fixed at load time; drops a
  // response header that holds a secret. Both when the headers are written: installed on the
  // app's response prototype, it mounts no middleware.
  {
    kind: 'middleware',
    name: 'security-headers',
    handler: (app) => {
      new SecurityHeaders(app.get(Redactor)).install(
        (app.getHttpAdapter().getInstance() as { response: ServerResponse }).response,
      );
      return undefined;
    },
  },
  {
    kind: 'middleware',
    name: 'cors',
    handler: (app, config) => (config.cors.origins.length > 0 ? cors(app, config) : undefined),
  },
  // One access line per request, written when the response closes.
  {
    kind: 'middleware',
    name: 'access-log',
    handler: () => new AccessLogMiddleware(PinoLogger.root).handle,
  },
  // Security: after the request context and the access logger, so a malformed, too deep or
  // too large body is refused with its request id and its access line. Only JSON is parsed;
  // any other body is ignored and fails validation with a 400.
  {
    kind: 'middleware',
    name: 'json-body',
    handler: () =>
      json({
        limit: BODY_LIMIT,
        type: ['application/json', 'application/*+json'],
        verify: (_req, _res, buf, encoding) => {
          checkJsonDepth(buf, encoding, MAX_JSON_DEPTH);
        },
      }),
  },
  // Security: the limiter before authentication, so failed credentials are counted and
  // limited too (OWASP API4:2023); authentication before scopes (deny by default).
  { kind: 'guard', name: 'rate-limit', type: RateLimitGuard },
  // Deletes the credential headers once they are consumed: no handler, service, logger or
  // forwarder reads them afterwards (docs/threat-model.md §1, §2).
  { kind: 'guard', name: 'authentication', type: AuthenticationGuard },
  { kind: 'guard', name: 'scopes', type: ScopeGuard },
  { kind: 'pipe', name: 'schema-validation', type: SchemaValidationPipe },
  // Last: turns whatever any stage above throws into problem+json.
  { kind: 'filter', name: 'problem-details', type: ProblemDetailsFilter },
];

/**
 * Security: an allowlist only — never `*`, never the request's own Origin reflected (OWASP
 * ASVS 3.4.2; docs/threat-model.md §7). Credential headers are never exposed to scripts.
 */
function cors(app: NestExpressApplication, config: AppConfig): RequestHandler | undefined {
  app.enableCors({
    origin: [...config.cors.origins],
    credentials: false,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'X-API-Key'],
    exposedHeaders: ['X-Request-Id', 'Retry-After'],
    maxAge: 600,
  });
  // enableCors mounts it itself, in this position.
  return undefined;
}

/**
 * Mounts REQUEST_PIPELINE on an app; the app must be created with `bodyParser: false`. The
 * middleware are the app's own (`app.use`), so they run in the list's order, before Nest's
 * router and any module's middleware.
 */
export class RequestPipeline {
  /** Before `app.init()`: Nest reads the global enhancers when it maps the routes. */
  static apply(app: NestExpressApplication, config: AppConfig): void {
    const instances = <T>(kind: PipelineStage['kind']): T[] =>
      REQUEST_PIPELINE.flatMap((s) => (s.kind === kind && 'type' in s ? [app.get<T>(s.type)] : []));
    for (const stage of REQUEST_PIPELINE) {
      if (stage.kind !== 'middleware') continue;
      const handler = stage.handler(app, config);
      if (handler) app.use(handler);
    }
    app.useGlobalGuards(...instances<CanActivate>('guard'));
    app.useGlobalInterceptors(...instances<NestInterceptor>('interceptor'));
    app.useGlobalPipes(...instances<PipeTransform>('pipe'));
    app.useGlobalFilters(...instances<ExceptionFilter>('filter'));
  }
}

/** Provides the pipeline's filter and pipe (RequestPipeline.apply registers them). */
@Module({
  imports: [RedactionModule],
  providers: [ProblemDetailsFilter, SchemaValidationPipe],
})
export class RequestPipelineModule {}
