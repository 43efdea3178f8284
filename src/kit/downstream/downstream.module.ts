import { Module } from '@nestjs/common';
import { DownstreamClient } from './downstream.client';

/**
 * Calls to other services. It exports the client only: feature modules ask it for data and
 * never see a header, a URL or the server-held key.
 */
@Module({
  providers: [DownstreamClient],
  exports: [DownstreamClient],
})
export class DownstreamModule {}
