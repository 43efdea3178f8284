import { HttpStatus } from '@nestjs/common';
import { TokenRejectedError } from '../auth/token-rejected.error';
import { ProblemException } from './problem.exception';

/** Client errors are built without a stack; server errors keep theirs for the log. */
describe('ProblemException', () => {
  const frames = (error: Error): number => (error.stack ?? '').split('\n    at ').length - 1;

  it('when the status is 4xx, the exception has no stack frames and the limit is restored', () => {
    const limit = Error.stackTraceLimit;
    const refused = new ProblemException(HttpStatus.UNAUTHORIZED, { reason: 'expired' });
    expect(frames(refused)).toBe(0);
    expect(refused.getStatus()).toBe(401);
    expect(refused.problem.reason).toBe('expired');
    expect(Error.stackTraceLimit).toBe(limit);
  });

  it('when the status is 5xx, the exception keeps its stack', () => {
    const failed = new ProblemException(HttpStatus.BAD_GATEWAY, {
      reason: 'downstream_unreachable',
    });
    expect(frames(failed)).toBeGreaterThan(0);
  });

  it('when a token is rejected, the error carries its reason and no stack frames', () => {
    const limit = Error.stackTraceLimit;
    const rejected = new TokenRejectedError('bad_signature');
    expect(rejected.reason).toBe('bad_signature');
    expect(rejected.name).toBe('TokenRejectedError');
    expect(frames(rejected)).toBe(0);
    expect(Error.stackTraceLimit).toBe(limit);
  });
});
