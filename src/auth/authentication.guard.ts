import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiKeyGuard } from '../api-keys/api-key.guard';
import { RequestContext } from '../security/request-context';
import { JwtAuthGuard } from './jwt-auth.guard';
import { routeSecurityOf } from './route-security.decorator';

/**
 * The global authentication guard: deny by default. Each route is checked by the one scheme it
 * declares; a route that declares none is refused here too (and the boot audit stops such an
 * app from starting at all).
 */
@Injectable()
export class AuthenticationGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly jwt: JwtAuthGuard,
    private readonly apiKey: ApiKeyGuard,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return false;
    RequestContext.recordRoute(context.switchToHttp().getRequest<object>());
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
}
