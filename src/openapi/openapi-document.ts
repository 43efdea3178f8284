import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { API_KEY_SCHEME, BEARER_SCHEME } from '../auth/route-security.decorator';

/**
 * Builds the OpenAPI document. The two security schemes are declared here; which one an
 * operation uses comes from its route-security decorator, never from a global requirement.
 */
export class OpenApiDocument {
  static build(app: INestApplication): OpenAPIObject {
    const config = new DocumentBuilder()
      .setTitle('Leakproof API')
      .setDescription('Reference API: JWT bearer tokens for people, API keys for machines.')
      .setVersion('0.1.0')
      .addBearerAuth(
        {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'An RFC 9068 access token (typ at+jwt), verified as RFC 8725 asks: pinned algorithms, exact iss and aud, required exp, iat and sub.',
        },
        BEARER_SCHEME,
      )
      .addApiKey(
        { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'A machine API key.' },
        API_KEY_SCHEME,
      )
      .build();
    return SwaggerModule.createDocument(app, config);
  }

  /** Swagger UI at /docs and the document at /docs-json. */
  static mount(app: INestApplication): void {
    SwaggerModule.setup('docs', app, () => OpenApiDocument.build(app), {
      jsonDocumentUrl: 'docs-json',
      yamlDocumentUrl: 'docs-yaml',
      // Security: a persisted token would sit in localStorage (checklist §7).
      swaggerOptions: { persistAuthorization: false },
    });
  }
}
