import type { LoggerService } from '@nestjs/common';
import { Redactor } from './redactor';

/**
 * The last-resort handler (ASVS 16.5.4): a promise rejected outside any request handler (a
 * fire-and-forget call, a library callback) is logged as a redacted summary and the process
 * keeps serving. Without a handler, Node ends the process on the first unhandled rejection,
 * and prints the raw error — message, stack and properties — to stderr.
 */
export class ProcessSafetyNet {
  static install(logger: LoggerService, redactor: Redactor): () => void {
    const onRejection = (reason: unknown): void => {
      logger.error({ err: redactor.summarize(reason) }, 'unhandled rejection');
    };
    process.on('unhandledRejection', onRejection);
    return () => process.off('unhandledRejection', onRejection);
  }
}
