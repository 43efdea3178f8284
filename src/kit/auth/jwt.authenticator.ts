import { ExecutionContext, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { Request } from 'express';
import { AuthChallenge } from './auth-challenge';
import type { Principal } from './principal';
import { TokenRejectedError } from './token-rejected.error';

const BEARER = /^Bearer\s/i;

/**
 * Authenticates a bearer token through passport-jwt and turns every outcome into an RFC 6750
 * answer. No bearer credentials: 401 with the bare challenge. Any invalid token: one constant
 * 401, whatever failed; the reason goes to the log only (docs/threat-model.md §3, §9).
 */
@Injectable()
export class JwtAuthenticator extends AuthGuard('jwt') {
  override canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    const header = req.headers.authorization;
    if (typeof header !== 'string' || !BEARER.test(header)) {
      throw AuthChallenge.missing('Bearer');
    }
    return super.canActivate(context) as Promise<boolean>;
  }

  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the base signature
  override handleRequest<TUser = Principal>(err: unknown, user: unknown, info: unknown): TUser {
    if (err || !user) {
      throw AuthChallenge.invalid('Bearer', TokenRejectedError.reasonOf(err ?? info));
    }
    return user as TUser;
  }
}
