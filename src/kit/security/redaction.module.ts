import { Module } from '@nestjs/common';
import { Redactor } from './redactor';

/** The redaction core on its own, so that logging can use it without the security pipeline. */
@Module({
  providers: [Redactor],
  exports: [Redactor],
})
export class RedactionModule {}
