import { HttpStatus } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import type { RouteSecurity } from '../auth/route-security.decorator';
import { ApiProblemResponse } from './api-problem-response.decorator';

type RouteDecorator = ClassDecorator & MethodDecorator;

/** The 400 every route can give, whatever its scheme: RFC 6750 §2 allows one method per request. */
const MULTIPLE_CREDENTIALS =
  'it carries more than one credential (an `Authorization` header, an `X-API-Key` header, a credential in the query): `WWW-Authenticate: Bearer error="invalid_request"`.';

/** Parameters a client controls and the validation pipe checks: they can earn a 400. */
const INPUT_PARAMS: ReadonlySet<number> = new Set([
  RouteParamtypes.BODY,
  RouteParamtypes.QUERY,
  RouteParamtypes.PARAM,
]);

/**
 * The error responses an operation can give, derived from its one security declaration, so the
 * document cannot promise less (or more) than the pipeline does:
 * - 400 everywhere: a request carrying more than one credential is refused before any scheme
 *   runs (RFC 6750 §2, AuthenticationGuard); and, when the handler takes a body, query or path
 *   parameter, a request that does not match its schema (SchemaValidationPipe);
 * - 401, and 403 when scopes are required, for JWT and API-key routes (RFC 6750 §3);
 * - 429 everywhere: the global RateLimitGuard counts every route before authentication;
 * - 500 everywhere, with the same closed body.
 * Route-specific statuses (404, 503) are added next to the handler with ApiProblemResponse.
 */
export function ApiErrorResponses(security: RouteSecurity): RouteDecorator {
  const shared = sharedResponses(security);
  const badRequest = ApiProblemResponse(
    HttpStatus.BAD_REQUEST,
    `The request does not match the schema (\`errors\` names each field and broken rule, never the value sent), or ${MULTIPLE_CREDENTIALS}`,
    {
      detail: 'The request does not match the schema.',
      errors: [{ field: 'name', rule: 'too_small' }],
    },
  );
  const credentialConflict = ApiProblemResponse(
    HttpStatus.BAD_REQUEST,
    `The request ${MULTIPLE_CREDENTIALS.replace(/^it /, '')}`,
  );
  const for400 = (controller: object, name: string | symbol): MethodDecorator =>
    takesInput(controller, name) ? badRequest : credentialConflict;
  return (target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    if (key !== undefined && descriptor) {
      for (const decorate of shared) decorate(target, key, descriptor);
      for400(target.constructor, key)(target, key, descriptor);
      return;
    }
    // On a controller: the shared statuses at class level (merged into every operation), and
    // each handler's 400. Method decorators have all run by now.
    const controller = target as abstract new (...args: never[]) => object;
    for (const decorate of shared) decorate(controller);
    const prototype = (target as { prototype: object }).prototype;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const method = Object.getOwnPropertyDescriptor(prototype, name);
      if (name === 'constructor' || typeof method?.value !== 'function') continue;
      for400(controller, name)(prototype, name, method);
    }
  };
}

function sharedResponses(security: RouteSecurity): RouteDecorator[] {
  const out: RouteDecorator[] = [];
  if (security.scheme !== 'public') {
    const challenge = security.scheme === 'jwt' ? 'Bearer' : 'ApiKey';
    const credential =
      security.scheme === 'jwt' ? 'bearer token in `Authorization`' : 'API key in `X-API-Key`';
    out.push(
      ApiProblemResponse(
        HttpStatus.UNAUTHORIZED,
        `No ${credential}, or an invalid one. The body and challenge are the same whatever failed.`,
        {
          headers: {
            'WWW-Authenticate': {
              description: `RFC 6750 §3 challenge: \`${challenge} realm="leakproof"\`, with \`error="${security.scheme === 'jwt' ? 'invalid_token' : 'invalid_key'}"\` when a credential was sent.`,
              schema: {
                type: 'string',
                maxLength: 200,
                pattern: `^${challenge} realm="leakproof"`,
              },
            },
          },
        },
      ),
    );
    if (security.scopes.length > 0) {
      const scopes = security.scopes.join(' ');
      out.push(
        ApiProblemResponse(
          HttpStatus.FORBIDDEN,
          `The credential is valid but lacks a required scope: \`${scopes}\`.`,
          {
            detail: 'The credential lacks a scope this operation requires.',
            headers: {
              'WWW-Authenticate': {
                description: `\`${challenge} realm="leakproof", error="insufficient_scope", scope="${scopes}"\``,
                schema: {
                  type: 'string',
                  maxLength: 400,
                  pattern: `^${challenge} realm="leakproof"`,
                },
              },
            },
          },
        ),
      );
    }
  }
  out.push(
    ApiProblemResponse(
      HttpStatus.TOO_MANY_REQUESTS,
      'Too many requests from this client address to this route; retry after `Retry-After` seconds.',
      {
        headers: {
          'Retry-After': {
            description: 'Seconds until the client may retry (RFC 9110 §10.2.3).',
            schema: { type: 'integer', format: 'int32', minimum: 1, maximum: 86_400 },
          },
        },
      },
    ),
    ApiProblemResponse(
      HttpStatus.INTERNAL_SERVER_ERROR,
      'An unexpected failure. The body holds the fixed title and the request id only; the detail goes to the server log, redacted.',
    ),
  );
  return out;
}

function takesInput(controller: object, method: string | symbol): boolean {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, method) ?? {}) as Record<
    string,
    unknown
  >;
  return Object.keys(args).some((k) => INPUT_PARAMS.has(Number(k.split(':')[0])));
}
