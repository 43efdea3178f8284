import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { HeaderObject } from '@nestjs/swagger';
import { z } from 'zod';
import { API_KEY_SCHEME, BEARER_SCHEME } from '../auth/route-security.decorator';
import { CORS_HEADERS } from './api-problem-response.decorator';
import { PROBLEM_SCHEMA_NAME, ProblemSchema } from './problem.schema';

/**
 * Sent by the global RateLimitGuard on every response of every route that passed it: successes
 * and the 4xx that authentication or validation give afterwards. A 429 carries `Retry-After`
 * instead (OWASP API4:2023).
 */
const RATE_LIMIT_HEADERS: Record<string, HeaderObject> = {
  'X-RateLimit-Limit': {
    description: 'Requests this client may send to this route per window (RATE_LIMIT_MAX).',
    schema: { type: 'integer', format: 'int32', minimum: 1, maximum: 1_000_000 },
  },
  'X-RateLimit-Remaining': {
    description: 'Requests left in the current window.',
    schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 1_000_000 },
  },
  'X-RateLimit-Reset': {
    description: 'Seconds until the window resets.',
    schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 86_400 },
  },
};

/**
 * Builds the OpenAPI document. The two security schemes are declared here; which one an
 * operation uses, and which errors it documents, comes from its route-security decorator.
 * Security: there is no global security requirement, so no operation can inherit a scheme its
 * guard does not enforce, and no requirement ever mixes the two (docs/threat-model.md, section 5).
 */
export class OpenApiDocument {
  static build(app: INestApplication): OpenAPIObject {
    const config = new DocumentBuilder()
      .setTitle('Leakproof API')
      .setDescription(
        'Reference API: JWT bearer tokens for people, API keys for machines. Every operation accepts exactly one scheme, or none when public; every error is application/problem+json (RFC 9457).',
      )
      .setVersion('0.1.0')
      .addBearerAuth(
        {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'An RFC 9068 access token (typ at+jwt) in the Authorization header, verified as RFC8725 (JWT Best Current Practices) asks: pinned algorithms, exact iss and aud, required exp, iat and sub, keys from configuration only.',
        },
        BEARER_SCHEME,
      )
      .addApiKey(
        {
          type: 'apiKey',
          in: 'header',
          name: 'X-API-Key',
          description:
            'A machine API key, in the X-API-Key header only: a key in the query string or body is refused.',
        },
        API_KEY_SCHEME,
      )
      .build();
    const document = SwaggerModule.createDocument(app, config);
    document.components = {
      ...document.components,
      schemas: {
        ...document.components?.schemas,
        [PROBLEM_SCHEMA_NAME]: z.toJSONSchema(ProblemSchema, { target: 'openapi-3.0' }) as object,
      },
    };
    OpenApiDocument.addPipelineHeaders(document);
    return document;
  }

  /** Swagger UI at /docs and the document at /docs-json (and /docs-yaml). */
  static mount(app: INestApplication): void {
    SwaggerModule.setup('docs', app, () => OpenApiDocument.build(app), {
      jsonDocumentUrl: 'docs-json',
      yamlDocumentUrl: 'docs-yaml',
      // Security: a persisted token would sit in localStorage, readable by any script on the
      // origin and kept after the tab closes. Off: a reload forgets it.
      swaggerOptions: { persistAuthorization: false },
    });
  }

  /** Headers the pipeline adds to responses whatever the handler: CORS and the rate limiter. */
  private static addPipelineHeaders(document: OpenAPIObject): void {
    for (const item of Object.values(document.paths)) {
      for (const operation of [item.get, item.put, item.post, item.delete, item.patch]) {
        for (const [status, response] of Object.entries(operation?.responses ?? {})) {
          if (!response || '$ref' in response) continue;
          const limited = /^[24]/.test(status) && status !== '429';
          response.headers = {
            ...response.headers,
            ...CORS_HEADERS,
            ...(limited ? RATE_LIMIT_HEADERS : {}),
          };
        }
      }
    }
  }
}
