import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { ApiKeyAuthenticator } from '../api-keys/api-key.authenticator';
import { RequestContext } from '../security/request-context';
import { CREDENTIAL_HEADERS, CREDENTIAL_QUERY_PARAMS } from '../security/sensitive-names';
import { AuthChallenge } from './auth-challenge';
import { JwtAuthenticator } from './jwt.authenticator';
import { routeSecurityOf } from './route-security.decorator';

const CREDENTIAL_HEADER_NAMES: ReadonlySet<string> = new Set(['authorization', 'x-api-key']);
const CREDENTIAL_QUERY_NAMES: ReadonlySet<string> = new Set(CREDENTIAL_QUERY_PARAMS);
const SCRUBBED_HEADER_NAMES: ReadonlySet<string> = new Set(CREDENTIAL_HEADERS);

/**
 * The global authentication guard: deny by default. Each route is checked by the one scheme it
 * declares. A route that declares none is checked as a JWT route, so it never opens without a
 * credential; the boot audit (RouteAuditService) stops an app with such a route from starting.
 *
 * Security: first, on every route, public ones included, a request that carries more than one
 * credential is refused with 400 `invalid_request` (RFC 6750 §2, §3.1): an `Authorization`
 * header, an `X-API-Key` header (each occurrence counts), and each query parameter named in
 * CREDENTIAL_QUERY_PARAMS. A server that picked one of them would have to decide which one the
 * client meant; the other would still have been sent, and may be logged or forwarded by
 * anything that does not know it was ignored. Body fields are not counted: a body may carry a
 * `password` or `secret` field a route legitimately takes from a signed-in user, and the
 * API-key route already refuses any credential in the body.
 *
 * Security: once the request is let through, every credential header (CREDENTIAL_HEADERS) is
 * deleted from it, parsed and raw: from here on no handler, service, logger or forwarder can
 * read them off the request (docs/threat-model.md §1, §2). A refused request never reaches a
 * handler.
 */
@Injectable()
export class AuthenticationGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly jwt: JwtAuthenticator,
    private readonly apiKey: ApiKeyAuthenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return false;
    const req = context.switchToHttp().getRequest<Request>();
    RequestContext.recordRoute(req);
    if (AuthenticationGuard.credentialCount(req) > 1) throw AuthChallenge.multipleCredentials();
    const allowed = await this.authenticate(context);
    if (allowed) AuthenticationGuard.deleteCredentialHeaders(req);
    return allowed;
  }

  private authenticate(context: ExecutionContext): boolean | Promise<boolean> {
    const security = routeSecurityOf(this.reflector, context);
    switch (security?.scheme) {
      case 'public':
        return true;
      case 'jwt':
      case undefined:
        return this.jwt.canActivate(context);
      case 'api-key':
        // X-API-Key only; a bearer token never opens a key route, nor a key a JWT route.
        return this.apiKey.canActivate(context);
      default:
        return false;
    }
  }

  private static deleteCredentialHeaders(req: Request): void {
    for (const name of CREDENTIAL_HEADERS) req.headers[name] = undefined;
    const raw = req.rawHeaders;
    for (let i = raw.length - 2; i >= 0; i -= 2) {
      if (SCRUBBED_HEADER_NAMES.has(raw[i].toLowerCase())) raw.splice(i, 2);
    }
  }

  /** Counts up to two: the answer only needs to tell one credential from several. */
  private static credentialCount(req: Request): number {
    let count = 0;
    const raw = req.rawHeaders;
    for (let i = 0; i < raw.length && count < 2; i += 2) {
      if (CREDENTIAL_HEADER_NAMES.has(raw[i].toLowerCase())) count++;
    }
    const q = req.url.indexOf('?');
    if (q < 0 || count > 1) return count;
    for (const name of new URLSearchParams(req.url.slice(q + 1)).keys()) {
      if (CREDENTIAL_QUERY_NAMES.has(name.toLowerCase()) && ++count > 1) break;
    }
    return count;
  }
}
