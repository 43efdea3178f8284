import { CanActivate, ExecutionContext, HttpStatus, Injectable, Logger } from '@nestjs/common';
import type { Request } from 'express';
import { AuthChallenge } from '../auth/auth-challenge';
import type { Principal } from '../auth/principal';
import { ProblemException } from '../security/problem.exception';
import { CREDENTIAL_QUERY_PARAMS } from '../security/sensitive-names';
import { ApiKeyFailureLimiter } from './api-key-failure.limiter';
import { ApiKeyVerifier } from './api-key.verifier';

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
 * AuthenticationGuard; ScopeGuard checks the scopes afterwards.
 *
 * Security:
 * - the key is read from `X-API-Key` only (DESIGN.md P5, checklist K6): a credential in the
 *   query string or body is refused with a fixed 400 that never echoes it, and an
 *   `Authorization` header next to the key is refused (one scheme per route, RFC 6750 §2);
 * - unknown, malformed, revoked and expired keys all get the same 401 body and header
 *   (checklist K9); the reason and the public id go to the log only;
 * - failed verifications are limited per client address (429 with Retry-After).
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly logger = new Logger(ApiKeyGuard.name);

  constructor(
    private readonly verifier: ApiKeyVerifier,
    private readonly limiter: ApiKeyFailureLimiter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request & { user?: Principal }>();
    const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    const retryAfter = await this.limiter.retryAfterSeconds(address);
    if (retryAfter !== null) {
      throw new ProblemException(HttpStatus.TOO_MANY_REQUESTS, {
        reason: 'api_key_failures_limited',
        headers: { 'Retry-After': String(retryAfter) },
      });
    }
    const misplaced = ApiKeyGuard.misplacedCredential(req);
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
    if (req.headers.authorization !== undefined) {
      throw AuthChallenge.invalid('ApiKey', 'mixed_credentials');
    }
    const result = await this.verifier.verify(presented);
    if (!result.ok) {
      await this.limiter.recordFailure(address);
      this.logger.warn({
        event: 'api_key_rejected',
        reason: result.reason,
        keyId: result.publicId,
      });
      throw AuthChallenge.invalid('ApiKey', `api_key_${result.reason}`);
    }
    req.user = { kind: 'machine', subject: result.publicId, scopes: result.scopes };
    return true;
  }

  private static misplacedCredential(req: Request): 'query' | 'body' | null {
    const q = req.url.indexOf('?');
    if (q >= 0) {
      for (const [name, value] of new URLSearchParams(req.url.slice(q + 1))) {
        if (MISPLACED_NAMES.has(name.toLowerCase()) || KEY_SHAPE.test(value)) return 'query';
      }
    }
    const body: unknown = req.body;
    if (typeof body === 'object' && body !== null) {
      if (Object.keys(body).some((name) => MISPLACED_NAMES.has(name.toLowerCase()))) {
        return 'body';
      }
      if (KEY_SHAPE.test(JSON.stringify(body))) return 'body';
    } else if (typeof body === 'string' && KEY_SHAPE.test(body)) {
      return 'body';
    }
    return null;
  }
}
