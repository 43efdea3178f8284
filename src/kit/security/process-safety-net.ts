import type { LoggerService } from '@nestjs/common';
import { Redactor } from './redactor';

/**
 * The last-resort handlers for errors nobody caught (ASVS 16.5.4), one set while the app starts
 * and one once it serves. Without them, Node prints the raw error (message, stack and
 * properties, which can quote a secret) to stderr.
 */
export class ProcessSafetyNet {
  /**
   * While the app starts: a rejection nobody handles or an exception nobody catches is a failed
   * start, handed to `fail` (which prints a safe cause and exits 1). A start that went on would
   * serve with a module half set up, and one that hung or ended with status 0 would not be
   * restarted by a restart-on-failure policy.
   */
  static installForStartup(fail: (error: unknown) => void): () => void {
    process.on('unhandledRejection', fail);
    process.on('uncaughtException', fail);
    return () => {
      process.off('unhandledRejection', fail);
      process.off('uncaughtException', fail);
    };
  }

  /**
   * Once the app serves: a promise rejected outside any request handler (a fire-and-forget
   * call, a library callback) is logged as a redacted summary and the process keeps serving.
   */
  static install(logger: LoggerService, redactor: Redactor): () => void {
    const onRejection = (reason: unknown): void => {
      logger.error({ err: redactor.summarize(reason) }, 'unhandled rejection');
    };
    process.on('unhandledRejection', onRejection);
    return () => process.off('unhandledRejection', onRejection);
  }
}
