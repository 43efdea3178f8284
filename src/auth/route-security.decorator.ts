import { applyDecorators, ExecutionContext, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiBearerAuth, ApiSecurity } from '@nestjs/swagger';

export type RouteSecurity =
  | { readonly scheme: 'public' }
  | { readonly scheme: 'jwt'; readonly scopes: readonly string[] }
  | { readonly scheme: 'api-key'; readonly scopes: readonly string[] };

export const ROUTE_SECURITY = 'leakproof:route-security';
export const BEARER_SCHEME = 'bearer';
export const API_KEY_SCHEME = 'apiKey';

/**
 * Route security is declared once, with exactly one of these decorators, on the handler or
 * its controller. The same declaration drives the guards and the OpenAPI document, so the two
 * cannot disagree (DESIGN.md P3). The boot-time audit refuses routes with none.
 */
export function Public(): ClassDecorator & MethodDecorator {
  return SetMetadata(ROUTE_SECURITY, { scheme: 'public' } satisfies RouteSecurity);
}

/** A JWT bearer token is required, carrying every listed scope (RFC 9068 `scope` claim). */
export function JwtAuth(...scopes: string[]): ClassDecorator & MethodDecorator {
  return applyDecorators(
    SetMetadata(ROUTE_SECURITY, { scheme: 'jwt', scopes } satisfies RouteSecurity),
    ApiBearerAuth(BEARER_SCHEME),
  );
}

/** An API key in `X-API-Key` is required, granting every listed scope. */
export function ApiKeyAuth(...scopes: string[]): ClassDecorator & MethodDecorator {
  return applyDecorators(
    SetMetadata(ROUTE_SECURITY, { scheme: 'api-key', scopes } satisfies RouteSecurity),
    ApiSecurity(API_KEY_SCHEME),
  );
}

/** The declaration that applies to a handler: its own, else its controller's. */
export function routeSecurityOf(
  reflector: Reflector,
  context: ExecutionContext,
): RouteSecurity | undefined {
  return reflector.getAllAndOverride<RouteSecurity | undefined>(ROUTE_SECURITY, [
    context.getHandler(),
    context.getClass(),
  ]);
}
