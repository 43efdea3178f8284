import { CanActivate, ExecutionContext, HttpStatus, Injectable, Logger } from '@nestjs/common';
import type { Request } from 'express';
import { AuthChallenge } from '../auth/auth-challenge';
import type { Principal } from '../auth/principal';
import { ProblemException } from '../security/problem.exception';
import { CREDENTIAL_QUERY_PARAMS } from '../security/sensitive-names';
import { ApiKeyFailureLimiter } from './api-key-failure.limiter';
import { ApiKeyVerifier } from './api-key.verifier';
import type { ApiKeyRejectReason } from './api-key.verifier';

/** Where a misplaced credential was found: never in the answer, only in the reason code. */
type Misplaced = 'query' | 'body';

/** The access-log reasons of API-key authentication. */
export type ApiKeyAuthReason =
  `credential_in_${Misplaced}` | 'api_key_failures_limited' | `api_key_${ApiKeyRejectReason}`;

/** Names a client might put a key under, in a query string or a body. */
const MISPLACED_NAMES: ReadonlySet<string> = new Set<string>([
  ...CREDENTIAL_QUERY_PARAMS,
  'x-api-key',
  'x_api_key',
  'apikey',
]);
/** Anything shaped like one of our keys, wherever it appears (same shape the redactor masks). */
const KEY_SHAPE = /\blp_(?:live|test)_[A-Za-z0-9]/;

/**
 * Authenticates routes declared with `@ApiKeyAuth(...)`. Called by the global
 * AuthenticationGuard, which has already refused a request with more than one credential;
 * ScopeGuard checks the scopes afterwards.
 *
 * Security:
 * - the key is read from `X-API-Key` only (docs/threat-model.md §4): a credential in the
 *   query string or body is refused with a fixed 400 that never echoes it;
 * - unknown, malformed, revoked and expired keys all get the same 401 body and header
 *   (docs/threat-model.md §10); the reason and the public id go to the log only;
 * - failed verifications are limited per client address; see ApiKeyFailureLimiter for why a
 *   key is still verified when its address is over the limit.
 */
@Injectable()
export class ApiKeyAuthenticator implements CanActivate {
  private readonly logger = new Logger(ApiKeyAuthenticator.name);

  constructor(
    private readonly verifier: ApiKeyVerifier,
    private readonly limiter: ApiKeyFailureLimiter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request & { user?: Principal }>();
    const misplaced = ApiKeyAuthenticator.misplacedCredential(req);
    if (misplaced) {
      throw new ProblemException(HttpStatus.BAD_REQUEST, {
        reason: `credential_in_${misplaced}`,
        detail: 'Send the API key in the X-API-Key header, never in the URL or the body.',
      });
    }
    const presented = req.headers['x-api-key'];
    if (typeof presented !== 'string' || presented.length === 0) {
      throw AuthChallenge.missing('ApiKey');
    }
    const result = await this.verifier.verify(presented);
    if (result.ok) {
      req.user = { kind: 'machine', subject: result.publicId, scopes: result.scopes };
      return true;
    }
    const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    const retryAfter = await this.limiter.recordFailure(address);
    if (retryAfter !== null) {
      // Over the limit the answer no longer says whether a guess was a key at all; the
      // access line's reason says the address is limited, so no event per guess is logged.
      throw new ProblemException(HttpStatus.TOO_MANY_REQUESTS, {
        reason: 'api_key_failures_limited',
        headers: { 'Retry-After': String(retryAfter) },
      });
    }
    this.logger.warn({
      event: 'api_key_rejected',
      reason: result.reason,
      keyId: result.publicId,
    });
    throw AuthChallenge.invalid('ApiKey', `api_key_${result.reason}`);
  }

  private static misplacedCredential(req: Request): Misplaced | null {
    const q = req.url.indexOf('?');
    if (q >= 0) {
      for (const [name, value] of new URLSearchParams(req.url.slice(q + 1))) {
        if (MISPLACED_NAMES.has(name.toLowerCase()) || KEY_SHAPE.test(value)) return 'query';
      }
    }
    return ApiKeyAuthenticator.bodyHoldsCredential(req.body) ? 'body' : null;
  }

  /**
   * A credential-named field at the top level, or a key-shaped name or string anywhere.
   *
   * Security: an explicit stack, never recursion, so no body can exhaust the call stack; each
   * value is visited once, so the work is linear in a body already bounded by BODY_LIMIT and
   * MAX_JSON_DEPTH (src/kit/http/request-pipeline.ts).
   */
  private static bodyHoldsCredential(body: unknown): boolean {
    if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
      if (Object.keys(body).some((name) => MISPLACED_NAMES.has(name.toLowerCase()))) return true;
    }
    const pending: unknown[] = [body];
    while (pending.length > 0) {
      const value = pending.pop();
      if (typeof value === 'string') {
        if (KEY_SHAPE.test(value)) return true;
      } else if (Array.isArray(value)) {
        for (const inner of value as unknown[]) pending.push(inner);
      } else if (typeof value === 'object' && value !== null) {
        for (const [name, inner] of Object.entries(value)) {
          if (KEY_SHAPE.test(name)) return true;
          pending.push(inner);
        }
      }
    }
    return false;
  }
}
