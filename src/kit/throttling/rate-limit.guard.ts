import { hash } from 'node:crypto';
import { ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import { ProblemException } from '../security/problem.exception';
import { RequestContext } from '../security/request-context';

/** The access-log reason of a request refused for exceeding the rate limit. */
export type RateLimitReason = 'rate_limited';

/** IPv4, IPv6 (with an IPv4 tail or a zone-free subnet suffix): what Express gives as req.ip. */
const ADDRESS = /^[0-9a-fA-F:.]{1,45}(\/\d{1,3})?$/;

/**
 * @nestjs/throttler's guard, registered as the first global guard: it counts every request per
 * client address and route before authentication runs, so failed credentials are limited too
 * (OWASP API4:2023; brute force of keys and tokens, docs/threat-model.md §10). Over the limit the
 * client gets the fixed 429 problem+json with `Retry-After` (RFC 9110 §10.2.3, RFC 6585 §4), and
 * the log a closed reason; never the library's message.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  /**
   * Records the route template first: this is the first guard, so a request it refuses never
   * reaches the authentication guard, and its access-log line still names the route.
   */
  override canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() === 'http') {
      RequestContext.recordRoute(context.switchToHttp().getRequest<object>());
    }
    return super.canActivate(context);
  }

  /**
   * The library hashes every key with SHA-256; the storage only compares keys, so a plain
   * string does the same job for less. The tracker is the client address; one that
   * is not plain address text (X-Forwarded-For is client input when TRUST_PROXY_HOPS is set too
   * high) is still hashed, so a key stays short and never carries what a client wrote.
   */
  protected override generateKey(context: ExecutionContext, tracker: string, name: string): string {
    const client = ADDRESS.test(tracker) ? tracker : hash('sha256', tracker, 'base64url');
    return `${context.getClass().name}:${context.getHandler().name}:${name}:${client}`;
  }

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
