import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { json } from 'express';
import { CredentialScrubInterceptor } from './credential-scrub.interceptor';
import { ProblemDetailsFilter } from './problem-details.filter';
import { RedactionModule } from './redaction.module';
import { SchemaValidationPipe } from './schema-validation.pipe';

/** Request bodies above this are refused with 413 (OWASP API4:2023). */
export const BODY_LIMIT = '100kb';

/**
 * The pipeline pieces that keep credentials in: JSON body parsing with a size limit, the
 * filter, the scrub interceptor, validation. Only JSON is parsed; any other body is ignored
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
      .apply(json({ limit: BODY_LIMIT, type: ['application/json', 'application/*+json'] }))
      .forRoutes('*');
  }
}
