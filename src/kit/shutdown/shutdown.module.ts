import { Module } from '@nestjs/common';
import { RedactionModule } from '../security/redaction.module';
import { ConnectionDrain } from './connection-drain';
import { ShutdownSignals } from './shutdown-signals';

/**
 * Graceful shutdown: in-flight requests finish, then their connections close; SIGTERM and
 * SIGINT end the process within SHUTDOWN_TIMEOUT_MS.
 */
@Module({
  imports: [RedactionModule],
  providers: [ConnectionDrain, ShutdownSignals],
  exports: [ConnectionDrain, ShutdownSignals],
})
export class ShutdownModule {}
