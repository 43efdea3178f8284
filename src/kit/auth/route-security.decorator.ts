import { applyDecorators, ExecutionContext, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiBearerAuth, ApiSecurity } from '@nestjs/swagger';
import { ApiErrorResponses } from '../openapi/api-error-responses.decorator';

export type RouteSecurity =
  | { readonly scheme: 'public' }
  | { readonly scheme: 'jwt'; readonly scopes: readonly string[] }
  | { readonly scheme: 'api-key'; readonly scopes: readonly string[] };

/** What the guards read: the declaration that applies (the handler's, else its controller's). */
export const ROUTE_SECURITY = 'leakproof:route-security';
/**
 * Every declaration made on a handler or a controller, in a list. SetMetadata overwrites, so a
 * second decorator would silently replace the first; the list keeps both for the boot audit.
 */
export const ROUTE_SECURITY_DECLARATIONS = 'leakproof:route-security-declarations';
export const BEARER_SCHEME = 'bearer';
export const API_KEY_SCHEME = 'apiKey';

type RouteDecorator = ClassDecorator & MethodDecorator;

/**
 * Route security is declared once, with exactly one of these decorators, on the handler or
 * its controller. The same declaration drives the guards, the operation's `security` and its
 * error responses in the OpenAPI document, so the two cannot disagree (docs/threat-model.md,
 * promise P3). The boot-time audit refuses routes with none or with more than one.
 */
export function Public(): RouteDecorator {
  return declare({ scheme: 'public' });
}

/** A JWT bearer token is required, carrying every listed scope (RFC 9068 `scope` claim). */
export function JwtAuth(...scopes: string[]): RouteDecorator {
  return declare({ scheme: 'jwt', scopes }, ApiBearerAuth(BEARER_SCHEME));
}

/** An API key in `X-API-Key` is required, granting every listed scope. */
export function ApiKeyAuth(...scopes: string[]): RouteDecorator {
  return declare({ scheme: 'api-key', scopes }, ApiSecurity(API_KEY_SCHEME));
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

/** Every declaration on a handler and on its controller; a sound route has exactly one. */
export function routeDeclarationsOf(controller: object, handler: object): RouteSecurity[] {
  const read = (target: object): RouteSecurity[] =>
    (Reflect.getMetadata(ROUTE_SECURITY_DECLARATIONS, target) as RouteSecurity[] | undefined) ?? [];
  return [...read(handler), ...read(controller)];
}

function declare(security: RouteSecurity, ...documentation: RouteDecorator[]): RouteDecorator {
  return applyDecorators(
    record(security),
    SetMetadata(ROUTE_SECURITY, security),
    ...documentation,
    ApiErrorResponses(security),
  );
}

function record(security: RouteSecurity): RouteDecorator {
  return (target: object, _key?: string | symbol, descriptor?: PropertyDescriptor) => {
    const holder = (descriptor?.value ?? target) as object;
    const own =
      (Reflect.getOwnMetadata(ROUTE_SECURITY_DECLARATIONS, holder) as
        RouteSecurity[] | undefined) ?? [];
    Reflect.defineMetadata(ROUTE_SECURITY_DECLARATIONS, [...own, security], holder);
  };
}
