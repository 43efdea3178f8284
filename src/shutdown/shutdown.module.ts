import { Module } from '@nestjs/common';
import { ConnectionDrain } from './connection-drain';

/** Graceful shutdown: in-flight requests finish, then their connections close. */
@Module({
  providers: [ConnectionDrain],
  exports: [ConnectionDrain],
})
export class ShutdownModule {}
