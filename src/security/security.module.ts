import { Module } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { CredentialScrubInterceptor } from './credential-scrub.interceptor';
import { ProblemDetailsFilter } from './problem-details.filter';
import { RedactionModule } from './redaction.module';
import { SchemaValidationPipe } from './schema-validation.pipe';

/** The pipeline pieces that keep credentials in: filter, scrub interceptor, validation. */
@Module({
  imports: [RedactionModule],
  providers: [
    { provide: APP_FILTER, useClass: ProblemDetailsFilter },
    { provide: APP_INTERCEPTOR, useClass: CredentialScrubInterceptor },
    { provide: APP_PIPE, useClass: SchemaValidationPipe },
  ],
})
export class SecurityModule {}
