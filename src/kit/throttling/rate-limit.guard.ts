import { hash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { CanActivate, ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { normalizeIp } from '@nestjs/throttler';
import type { Request } from 'express';
import { AppConfig } from '../config/app-config';
import { ProblemException } from '../security/problem.exception';
import { RequestContext } from '../security/request-context';
import type { WindowCount } from './fixed-windows';
import { RateLimitCounter } from './rate-limit.counter';

/** The access-log reason of a request refused for exceeding the rate limit. */
export type RateLimitReason = 'rate_limited';

/** IPv4, IPv6 (with an IPv4 tail or a zone-free subnet suffix): what normalizeIp gives. */
const ADDRESS = /^[0-9a-fA-F:.]{1,45}(\/\d{1,3})?$/;

/**
 * The first global guard: it counts every request per client address and route before
 * authentication runs, so failed credentials are limited too (OWASP API4:2023; brute force of
 * keys and tokens, docs/threat-model.md §10). One policy for every route (`RATE_LIMIT_MAX`
 * requests per `RATE_LIMIT_WINDOW_SECONDS`), read once at boot: nothing is looked up per
 * request, and counting in process takes no await. Within the limit the response carries
 * `X-RateLimit-Limit`, `-Remaining` and `-Reset`; over it the client gets the fixed 429
 * problem+json with `Retry-After` (RFC 9110 §10.2.3, RFC 6585 §4), and the log a closed reason.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly max: number;
  private readonly limitHeader: string;

  constructor(
    config: AppConfig,
    private readonly counter: RateLimitCounter,
  ) {
    this.max = config.rateLimit.max;
    this.limitHeader = String(this.max);
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    // This guard runs first: a request it refuses never reaches the authentication guard, and
    // its access-log line still names the route.
    RequestContext.recordRoute(req);
    const key = `${context.getClass().name}:${context.getHandler().name}:${RateLimitGuard.client(req.ip)}`;
    const res = http.getResponse<ServerResponse>();
    const count = this.counter.hit(key);
    return count instanceof Promise
      ? count.then((c) => this.admit(c, res))
      : this.admit(count, res);
  }

  /**
   * The client as the limit counts it: its address, an IPv6 address as its /64 (one host
   * holds a whole /64, so counting single addresses would let it rotate past the limit). What is
   * not plain address text (X-Forwarded-For is client input when TRUST_PROXY_HOPS is set too
   * high) is hashed, so a key stays short and never carries what a client wrote.
   */
  static client(ip: string | undefined): string {
    const address = normalizeIp(ip ?? '');
    return ADDRESS.test(address) ? address : hash('sha256', address, 'base64url');
  }

  private admit({ hits, resetMs }: WindowCount, res: ServerResponse): true {
    const seconds = Math.ceil(resetMs / 1000);
    if (hits > this.max) {
      throw new ProblemException(HttpStatus.TOO_MANY_REQUESTS, {
        reason: 'rate_limited',
        headers: { 'Retry-After': String(Math.max(1, seconds)) },
      });
    }
    res.setHeader('X-RateLimit-Limit', this.limitHeader);
    res.setHeader('X-RateLimit-Remaining', String(this.max - hits));
    res.setHeader('X-RateLimit-Reset', String(seconds));
    return true;
  }
}
