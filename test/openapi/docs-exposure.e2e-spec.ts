import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { ProblemSchema } from '../../src/kit/openapi/problem.schema';
import { startTestApp, TestApp } from '../support/test-app';
import { FixtureTokens } from '../support/fixture/fixture-tokens';
import { FixtureModule } from '../support/fixture/fixture.module';

const DOC_PATHS = ['/docs', '/docs/', '/docs-json', '/docs-yaml', '/docs/swagger-ui-init.js'];

/**
 * Security: the document maps the attack surface, so production does not serve it unless the
 * operator asks (DOCS_ENABLED=true); outside production it is on by default (README,
 * configuration table).
 */
describe('OpenApiDocument.mount', () => {
  const tokens = new FixtureTokens();
  // A production-valid environment, generated now: a real key pair and a random pepper.
  const production = (): Record<string, string> => ({
    ...tokens.env(),
    NODE_ENV: 'production',
    API_KEY_PEPPER: randomBytes(32).toString('base64url'),
  });
  let app: TestApp | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('when production does not enable docs, every docs path is a 404 problem+json', async () => {
    app = await startTestApp(production(), [FixtureModule]);
    expect(app.config.isProduction).toBe(true);
    expect(app.config.docs.enabled).toBe(false);
    for (const path of DOC_PATHS) {
      const res = await request(app.url).get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(ProblemSchema.safeParse(JSON.parse(res.text)).success).toBe(true);
      expect(res.text).not.toContain('swagger');
    }
  });

  it('when production sets DOCS_ENABLED=true, the UI and the document are served', async () => {
    app = await startTestApp({ ...production(), DOCS_ENABLED: 'true' }, [FixtureModule]);
    const ui = await request(app.url).get('/docs/');
    expect(ui.status).toBe(200);
    expect(ui.text).toContain('swagger-ui');
    const json = await request(app.url).get('/docs-json');
    expect(json.status).toBe(200);
    expect((json.body as { openapi: string }).openapi).toMatch(/^3\./);
  });

  it('when DOCS_ENABLED=false outside production, the document is not served', async () => {
    app = await startTestApp({ ...tokens.env(), DOCS_ENABLED: 'false' }, [FixtureModule]);
    expect(app.config.isProduction).toBe(false);
    const res = await request(app.url).get('/docs-json');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('when nothing is set outside production, the document is served', async () => {
    app = await startTestApp(tokens.env(), [FixtureModule]);
    expect((await request(app.url).get('/docs-json')).status).toBe(200);
  });
});
