import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { json } from 'express';
import { CredentialScrubInterceptor } from './credential-scrub.interceptor';
import { checkJsonDepth } from './json-depth';
import { ProblemDetailsFilter } from './problem-details.filter';
import { RedactionModule } from './redaction.module';
import { SchemaValidationPipe } from './schema-validation.pipe';

/** Request bodies above this are refused with 413 (OWASP API4:2023). */
export const BODY_LIMIT = '100kb';
/**
 * JSON bodies nested deeper than this are refused with 400 before they are parsed (OWASP
 * API4:2023): no schema here comes near it, and it keeps any walk over a body shallow.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * The pipeline pieces that keep credentials in: JSON body parsing with a size and a depth
 * limit, the filter, the scrub interceptor, validation. Only JSON is parsed; any other body is ignored
 * and fails validation with a 400.
 */
@Module({
  imports: [RedactionModule],
  providers: [
    { provide: APP_FILTER, useClass: ProblemDetailsFilter },
    { provide: APP_INTERCEPTOR, useClass: CredentialScrubInterceptor },
    { provide: APP_PIPE, useClass: SchemaValidationPipe },
  ],
})
export class SecurityModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(
        json({
          limit: BODY_LIMIT,
          type: ['application/json', 'application/*+json'],
          verify: (_req, _res, buf, encoding) => {
            checkJsonDepth(buf, encoding, MAX_JSON_DEPTH);
          },
        }),
      )
      .forRoutes('*');
  }
}
