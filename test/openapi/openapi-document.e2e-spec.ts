import { DECORATORS } from '@nestjs/swagger';
import type { OpenAPIObject, OperationObject, ResponseObject } from '@nestjs/swagger';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { RouteAuditService } from '../../src/kit/auth/route-audit.service';
import type { AuditedRoute } from '../../src/kit/auth/route-audit.service';
import { OpenApiExport } from '../../src/kit/openapi/openapi-export';
import {
  PROBLEM_MEDIA_TYPE,
  PROBLEM_SCHEMA_NAME,
  ProblemSchema,
} from '../../src/kit/openapi/problem.schema';
import { closeStarted } from '../support/cleanup';
import { startTestApp, TestApp } from '../support/test-app';
import { FixtureTokens } from '../support/fixture/fixture-tokens';
import { FixtureModule } from '../support/fixture/fixture.module';

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
const PROBLEM_REF = `#/components/schemas/${PROBLEM_SCHEMA_NAME}`;

interface Operation {
  key: string;
  path: string;
  method: (typeof METHODS)[number];
  op: OperationObject;
}

function operations(doc: OpenAPIObject): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (op) out.push({ key: `${method.toUpperCase()} ${path}`, path, method, op });
    }
  }
  return out;
}

function responses(op: OperationObject): [string, ResponseObject][] {
  return Object.entries(op.responses).map(([status, r]) => [status, r as ResponseObject]);
}

/** The document as Swagger UI documents it: Express `:id` becomes OpenAPI `{id}`. */
function documentedKey(route: AuditedRoute): string {
  return `${route.method} ${route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`;
}

function excluded(route: AuditedRoute): boolean {
  return (
    Reflect.getMetadata(DECORATORS.API_EXCLUDE_CONTROLLER, route.controller) !== undefined ||
    (
      Reflect.getMetadata(DECORATORS.API_EXCLUDE_ENDPOINT, route.handler) as
        { disable?: boolean } | undefined
    )?.disable === true
  );
}

/**
 * The document cannot drift from enforcement (docs/threat-model.md, promise P3): every
 * operation's `security` and error responses are compared with the declaration the guards
 * read, and the error bodies the app really sends are validated against the documented Problem
 * schema.
 */
describe('OpenApiDocument', () => {
  const tokens = new FixtureTokens();
  // Configured secrets with recognisable values, generated now: none may reach the document.
  const pepperCanary = `pepper-canary-${randomBytes(24).toString('hex')}`;
  const downstreamCanary = `downstream-canary-${randomBytes(24).toString('hex')}`;
  let app: TestApp;
  let doc: OpenAPIObject;
  let routes: AuditedRoute[];

  beforeAll(async () => {
    app = await startTestApp(
      {
        ...tokens.env(),
        API_KEY_PEPPER: pepperCanary,
        DOWNSTREAM_BASE_URL: 'http://127.0.0.1:9',
        DOWNSTREAM_API_KEY: downstreamCanary,
      },
      [FixtureModule],
    );
    const res = await request(app.url).get('/docs-json');
    expect(res.status).toBe(200);
    doc = res.body as OpenAPIObject;
    routes = app.app.get(RouteAuditService).routes();
  });
  afterAll(() => closeStarted(app));

  it("when built, each operation's security is exactly its route's declared scheme", () => {
    const documented = new Map(operations(doc).map((o) => [o.key, o.op]));
    const visible = routes.filter((r) => !excluded(r));
    expect(visible.length).toBeGreaterThan(0);
    for (const route of visible) {
      const op = documented.get(documentedKey(route));
      expect({ route: route.name, documented: op !== undefined }).toEqual({
        route: route.name,
        documented: true,
      });
      const expected = {
        public: undefined,
        jwt: [{ bearer: [] }],
        'api-key': [{ apiKey: [] }],
      }[route.security?.scheme ?? 'public'];
      expect({ route: route.name, security: op?.security }).toEqual({
        route: route.name,
        security: expected,
      });
      documented.delete(documentedKey(route));
    }
    // Nothing in the document that no route enforces.
    expect([...documented.keys()]).toEqual([]);
  });

  it('when built, no operation accepts both schemes and there is no global requirement', () => {
    expect(doc.security).toBeUndefined();
    for (const { key, op } of operations(doc)) {
      const schemes = (op.security ?? []).flatMap((s) => Object.keys(s));
      expect({ key, schemes: schemes.length <= 1 }).toEqual({ key, schemes: true });
    }
    expect(Object.keys(doc.components?.securitySchemes ?? {}).sort()).toEqual(['apiKey', 'bearer']);
    expect(doc.components?.securitySchemes?.apiKey).toMatchObject({
      type: 'apiKey',
      in: 'header',
      name: 'X-API-Key',
    });
    expect(doc.components?.securitySchemes?.bearer).toMatchObject({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: expect.stringContaining('RFC8725') as unknown,
    });
  });

  it('when built, each operation documents the errors its declaration and input imply', () => {
    const byKey = new Map(routes.map((r) => [documentedKey(r), r]));
    for (const { key, op } of operations(doc)) {
      const security = byKey.get(key)?.security;
      const statuses = Object.keys(op.responses);
      const guarded = security !== undefined && security.scheme !== 'public';
      const scoped = guarded && security.scopes.length > 0;
      // Every route: two credentials in one request are refused (RFC 6750 §2), input or none.
      expect({ key, has400: statuses.includes('400') }).toEqual({ key, has400: true });
      expect({ key, has401: statuses.includes('401') }).toEqual({ key, has401: guarded });
      expect({ key, has403: statuses.includes('403') }).toEqual({ key, has403: scoped });
      expect({ key, has429: statuses.includes('429') }).toEqual({ key, has429: true });
      expect({ key, has500: statuses.includes('500') }).toEqual({ key, has500: true });
    }
  });

  it('when an operation documents an error, it is the one Problem schema as problem+json', () => {
    expect(doc.components?.schemas?.[PROBLEM_SCHEMA_NAME]).toMatchObject({
      type: 'object',
      additionalProperties: false,
      required: ['type', 'title', 'status', 'requestId'],
    });
    for (const { key, op } of operations(doc)) {
      for (const [status, response] of responses(op)) {
        if (Number(status) < 400) continue;
        const content = response.content ?? {};
        expect({ key, status, media: Object.keys(content) }).toEqual({
          key,
          status,
          media: [PROBLEM_MEDIA_TYPE],
        });
        const media = content[PROBLEM_MEDIA_TYPE];
        expect(media.schema).toEqual({ $ref: PROBLEM_REF });
        // Examples are placeholders that themselves obey the schema.
        expect(ProblemSchema.safeParse(media.example).success).toBe(true);
        expect((media.example as { status: number }).status).toBe(Number(status));
      }
    }
  });

  it('when an operation succeeds, its response body is typed from the zod schema', () => {
    for (const { key, op } of operations(doc)) {
      const success = responses(op).filter(([status]) => /^2/.test(status));
      expect({ key, successes: success.length > 0 }).toEqual({ key, successes: true });
      for (const [status, response] of success) {
        if (status === '204') continue;
        const schema = response.content?.['application/json']?.schema as
          Record<string, unknown> | undefined;
        const typed = schema !== undefined && (typeof schema.$ref === 'string' || 'type' in schema);
        expect({ key, status, typed }).toEqual({ key, status, typed: true });
      }
    }
    const widgets = doc.paths['/fixture/widgets'];
    expect(widgets.post?.requestBody).toMatchObject({
      content: { 'application/json': { schema: { $ref: '#/components/schemas/CreateWidget' } } },
    });
    expect(widgets.get?.responses['200']).toMatchObject({
      content: {
        'application/json': {
          schema: { type: 'array', maxItems: 100, items: { $ref: '#/components/schemas/Widget' } },
        },
      },
    });
    expect(doc.components?.schemas?.Widget).toMatchObject({
      additionalProperties: false,
      required: ['id', 'name', 'stock', 'createdBy'],
    });
  });

  it('when the app answers an error, the body validates against the documented schema', async () => {
    const reader = tokens.rs256({ scope: 'widgets:read' });
    const writer = tokens.rs256({ scope: 'widgets:write' });
    const answers = [
      await request(app.url).get('/fixture/widgets'),
      await request(app.url).get('/fixture/widgets').set('Authorization', `Bearer ${writer}`),
      await request(app.url)
        .get('/fixture/widgets/not-a-uuid')
        .set('Authorization', `Bearer ${reader}`),
      await request(app.url)
        .post('/fixture/widgets')
        .set('Authorization', `Bearer ${tokens.rs256()}`)
        .send({ name: 1, unexpected: 'field' }),
      await request(app.url)
        .get('/fixture/widgets/00000000-0000-4000-8000-000000000000')
        .set('Authorization', `Bearer ${reader}`),
      await request(app.url).get('/nowhere'),
    ];
    expect(answers.map((a) => a.status)).toEqual([401, 403, 400, 400, 404, 404]);
    for (const answer of answers) {
      expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
      const parsed = ProblemSchema.safeParse(JSON.parse(answer.text));
      expect({ status: answer.status, issues: parsed.error?.issues }).toEqual({
        status: answer.status,
        issues: undefined,
      });
    }
  });

  it('when an operation documents rate-limit headers, a real answer carries them', async () => {
    for (const { key, path, method, op } of operations(doc)) {
      const concrete = path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
      // Without credentials: a guarded route answers 401, a public one its usual answer.
      const res = await request(app.url)[method](concrete);
      const documented = op.responses[String(res.status)] as ResponseObject | undefined;
      expect({ key, status: res.status, documented: documented !== undefined }).toEqual({
        key,
        status: res.status,
        documented: true,
      });
      for (const header of Object.keys(documented?.headers ?? {})) {
        if (!header.startsWith('X-RateLimit-')) continue;
        const sent = (res.headers as Record<string, string | undefined>)[header.toLowerCase()];
        expect({ key, header, sent: typeof sent }).toEqual({ key, header, sent: 'string' });
      }
    }
  });

  it('when served, the document and Swagger UI hold no configured secret and no secret shape', async () => {
    const served = [
      (await request(app.url).get('/docs-json')).text,
      (await request(app.url).get('/docs-yaml')).text,
      (await request(app.url).get('/docs/swagger-ui-init.js')).text,
    ];
    const secrets = app.config.secrets().map((s) => s.reveal());
    expect(secrets).toEqual(expect.arrayContaining([pepperCanary, downstreamCanary]));
    for (const text of served) {
      expect(text.length).toBeGreaterThan(1000);
      for (const secret of secrets) expect(text.includes(secret)).toBe(false);
      expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/); // a JWT
      expect(text).not.toMatch(/-----BEGIN [A-Z ]+-----/); // a PEM key
      expect(text).not.toMatch(/\blp_(live|test)_[A-Za-z0-9]/); // our API-key format
      expect(text).not.toMatch(/\b(sk|pk|rk)_(live|test)_[A-Za-z0-9]/); // vendor key formats
    }
  });

  it('when `npm run openapi` writes the document, it equals the served one', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'lp-openapi-')), 'nested', 'openapi.json');
    const written = await OpenApiExport.write(file, [FixtureModule]);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(doc);
    expect(written).toEqual(doc);
  });
});
