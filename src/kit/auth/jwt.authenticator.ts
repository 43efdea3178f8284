import { ExecutionContext, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { Request } from 'express';
import { ExtractJwt } from 'passport-jwt';
import { AuthChallenge } from './auth-challenge';
import { JwtStrategy } from './jwt.strategy';
import type { Principal } from './principal';
import { TokenRejectedError } from './token-rejected.error';

const BEARER = /^Bearer\s/i;
/** The token as JwtStrategy's passport-jwt reads it, so a cached verdict is for that string. */
const bearerToken = ExtractJwt.fromAuthHeaderAsBearerToken();

/**
 * Authenticates a bearer token through passport-jwt and turns every outcome into an RFC 6750
 * answer. No bearer credentials: 401 with the bare challenge. Any invalid token: one constant
 * 401, whatever failed; the reason goes to the log only (docs/threat-model.md §3, §9).
 *
 * A token the verified-token cache has a verdict for is answered from it (JwtStrategy
 * `remembered`) before passport's flow: the same principal, or the same 401 with the same
 * reason, for less work per request. Every other token goes through passport-jwt in full.
 */
@Injectable()
export class JwtAuthenticator extends AuthGuard('jwt') {
  override canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request & { user?: Principal }>();
    const header = req.headers.authorization;
    if (typeof header !== 'string' || !BEARER.test(header)) {
      throw AuthChallenge.missing('Bearer');
    }
    const token = bearerToken(req);
    if (token) {
      let principal: Principal | undefined;
      try {
        principal = JwtStrategy.registered?.remembered(token);
      } catch (error) {
        throw AuthChallenge.invalid('Bearer', TokenRejectedError.reasonOf(error));
      }
      if (principal) {
        req.user = principal;
        return Promise.resolve(true);
      }
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
