import { HttpException } from '@nestjs/common';
import type { ProblemReason } from './access-reason';

export interface ProblemOptions {
  /** Client-safe text written by our own code. Never a library message, never input. */
  detail?: string;
  /** Validation problems: field paths and rule names, never the offending values. */
  errors?: readonly { field: string; rule: string }[];
  /** A closed reason code for the server log (for example `expired`); see access-reason.ts. */
  reason?: ProblemReason;
  /** Response headers that belong to this error (`WWW-Authenticate`, `Retry-After`). */
  headers?: Readonly<Record<string, string>>;
}

/**
 * The only exception whose extra fields reach the client. The exception filter copies `detail`
 * and `errors` into the problem+json body and `headers` onto the response; every other error
 * yields the fixed title of its status and nothing else (docs/threat-model.md, promise P4).
 */
export class ProblemException extends HttpException {
  readonly problem: ProblemOptions;

  /**
   * A client error (4xx) is built without a stack: the filter logs only its reason code, and
   * capturing a stack costs every refused request, and refused requests are what scanners and
   * floods send most. A server error keeps its stack.
   */
  constructor(status: number, problem: ProblemOptions = {}) {
    const limit = Error.stackTraceLimit;
    if (status < 500) Error.stackTraceLimit = 0;
    super(problem.reason ?? 'problem', status);
    Error.stackTraceLimit = limit;
    this.problem = problem;
  }
}
