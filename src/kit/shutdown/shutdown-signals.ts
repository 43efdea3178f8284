import { INestApplication, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { AppConfig } from '../config/app-config';
import { Redactor } from '../security/redactor';
import { ConnectionDrain } from './connection-drain';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * SIGTERM and SIGINT always end the process. The app closes (ConnectionDrain lets in-flight
 * requests finish, then the pool and Redis close) and the process exits 0; if that has not
 * finished within SHUTDOWN_TIMEOUT_MS (a request that never completes, a client that never
 * sends its body, a hook that hangs), it exits 1 anyway. An orchestrator then sees an orderly
 * stop or a failed one, never a process that lingers until SIGKILL.
 *
 * Production listens through app.setup; test apps stop listening, because the test runner
 * owns its own signals (docs/scaling.md, "Shutdown").
 */
@Injectable()
export class ShutdownSignals implements OnApplicationShutdown {
  private app: INestApplication | null = null;
  private stopping = false;

  constructor(
    private readonly config: AppConfig,
    private readonly drain: ConnectionDrain,
    private readonly redactor: Redactor,
    @InjectPinoLogger('ShutdownSignals') private readonly logger: PinoLogger,
  ) {}

  /** Ends the process on SIGTERM or SIGINT, after closing `app` within the bound. */
  listen(app: INestApplication): void {
    this.app = app;
    for (const signal of SIGNALS) process.on(signal, this.onSignal);
  }

  /** Leaves the signals to their default (or to the test runner) again. */
  stopListening(): void {
    for (const signal of SIGNALS) process.off(signal, this.onSignal);
  }

  /**
   * An app closed without a signal (a test, a failed start) leaves no listener behind; during
   * a signal's shutdown the listener stays, so that a second signal does not kill the process
   * before its own exit.
   */
  onApplicationShutdown(): void {
    if (!this.stopping) this.stopListening();
  }

  private readonly onSignal = (signal: NodeJS.Signals): void => {
    const app = this.app;
    if (this.stopping || !app) return;
    this.stopping = true;
    void this.stop(app, signal);
  };

  private async stop(app: INestApplication, signal: NodeJS.Signals): Promise<void> {
    const timeoutMs = this.config.shutdown.timeoutMs;
    this.logger.info({ signal, timeoutMs }, 'shutdown: signal received');
    // Referenced (not unref'd): whatever still holds the event loop, the process ends here.
    setTimeout(() => {
      this.logger.error(
        { timeoutMs, inFlight: this.drain.inFlight },
        'shutdown: not finished within the bound, exiting',
      );
      process.exit(1);
    }, timeoutMs);
    try {
      await app.close();
    } catch (error) {
      this.logger.error({ err: this.redactor.summarize(error) }, 'shutdown: closing failed');
      process.exit(1);
    }
    process.exit(0);
  }
}
