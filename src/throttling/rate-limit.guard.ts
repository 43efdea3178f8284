import { ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import { ProblemException } from '../security/problem.exception';

/**
 * @nestjs/throttler's guard, registered as the first global guard: it counts every request per
 * client address and route before authentication runs, so failed credentials are limited too
 * (OWASP API4:2023; brute force of keys and tokens, checklist K9). Over the limit the client gets
 * the fixed 429 problem+json with `Retry-After` (RFC 9110 §10.2.3, RFC 6585 §4), and the log a
 * closed reason; never the library's message.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    throw new ProblemException(HttpStatus.TOO_MANY_REQUESTS, {
      reason: 'rate_limited',
      headers: { 'Retry-After': String(Math.max(1, detail.timeToBlockExpire)) },
    });
  }
}
