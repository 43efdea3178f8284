import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AuthChallenge } from './auth-challenge';
import type { Principal } from './principal';
import { routeSecurityOf } from './route-security.decorator';

/**
 * Runs after authentication: the principal must hold every scope the route declares, else
 * 403 with `insufficient_scope` (RFC 6750 §3.1, ASVS 10.3.2).
 */
@Injectable()
export class ScopeGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const security = routeSecurityOf(this.reflector, context);
    if (!security || security.scheme === 'public' || security.scopes.length === 0) return true;
    const principal = context.switchToHttp().getRequest<Request & { user?: Principal }>().user;
    const granted = principal?.scopes ?? new Set<string>();
    if (security.scopes.every((s) => granted.has(s))) return true;
    throw AuthChallenge.insufficientScope(
      security.scheme === 'jwt' ? 'Bearer' : 'ApiKey',
      security.scopes,
    );
  }
}
