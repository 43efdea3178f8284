import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { closeStarted } from './support/cleanup';
import { FixtureModule } from './support/fixture/fixture.module';
import { FixtureTokens } from './support/fixture/fixture-tokens';
import { startTestApp, TestApp } from './support/test-app';

interface Problem {
  status: number;
  detail?: string;
  errors?: { field: string; rule: string }[];
}

const tokens = new FixtureTokens();
const admin = tokens.rs256({ sub: 'admin-alice', scope: 'api-keys:admin widgets:read' });

const createKey = (app: TestApp, scopes: string[]) =>
  request(app.url)
    .post('/api-keys')
    .set('Authorization', `Bearer ${admin}`)
    .send({ name: 'scoped', scopes });

async function listedScopes(app: TestApp): Promise<string[][]> {
  const res = await request(app.url).get('/api-keys').set('Authorization', `Bearer ${admin}`);
  expect(res.status).toBe(200);
  return (res.body as { scopes: string[] }[]).map((k) => k.scopes);
}

function expectScopeRefused(res: request.Response, refused: string): void {
  expect(res.status).toBe(400);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect((res.body as Problem).errors).toEqual([{ field: 'scopes', rule: 'scope_not_allowed' }]);
  expect(JSON.stringify(res.headers) + res.text).not.toContain(refused);
}

/** API keys carry only allowed scopes (src/kit/api-keys/api-key-scope.policy.ts). */
describe('ApiKeyScopePolicy', () => {
  describe('by default (the scopes the API-key routes declare)', () => {
    let app: TestApp;

    beforeAll(async () => {
      app = await startTestApp(tokens.env(), [FixtureModule]);
    });
    afterAll(() => closeStarted(app));

    it.each([
      ['api-keys:admin', ['api-keys:admin']],
      ['a scope only JWT routes declare', ['widgets:read']],
      ['an undeclared scope beside a declared one', ['widgets:stock', 'reports:export']],
    ])(
      'when a key would carry %s, 400 names scopes and the rule, and no key is made',
      async (_case, scopes) => {
        const refused = scopes[scopes.length - 1];
        expectScopeRefused(await createKey(app, scopes), refused);
        expect((await listedScopes(app)).flat()).not.toContain(refused);
      },
    );

    it('when a key carries the scope an API-key route declares, it is created and opens that route', async () => {
      const res = await createKey(app, ['widgets:stock']);
      expect(res.status).toBe(201);
      const widget = await request(app.url)
        .post('/fixture/widgets')
        .set('Authorization', `Bearer ${tokens.rs256()}`)
        .send({ name: 'crate' });
      const put = await request(app.url)
        .put(`/fixture/widgets/${(widget.body as { id: string }).id}/stock`)
        .set('X-API-Key', (res.body as { key: string }).key)
        .send({ stock: 4 });
      expect(put.status).toBe(200);
    });
  });

  describe('with API_KEY_ALLOWED_SCOPES', () => {
    let app: TestApp;

    beforeAll(async () => {
      app = await startTestApp(
        { ...tokens.env(), API_KEY_ALLOWED_SCOPES: 'reports:export, inventory:read' },
        [FixtureModule],
      );
    });
    afterAll(() => closeStarted(app));

    it('when a key carries configured scopes, it is created', async () => {
      const res = await createKey(app, ['reports:export', 'inventory:read']);
      expect(res.status).toBe(201);
    });

    it('when a key carries a scope the routes declare but the list leaves out, 400', async () => {
      expectScopeRefused(await createKey(app, ['widgets:stock']), 'widgets:stock');
    });
  });

  describe('when the allowlist narrows after a key was made', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lp-scopes-'));
    const shared = {
      ...tokens.env(),
      DATABASE_URL: join(dir, 'keys.sqlite'),
      API_KEY_PEPPER: randomBytes(32).toString('base64url'),
    };
    afterAll(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    it('when such a key is rotated, 409 and no successor; revoking it still works', async () => {
      const before = await startTestApp({ ...shared, API_KEY_ALLOWED_SCOPES: 'legacy:all' }, [
        FixtureModule,
      ]);
      let id: string;
      try {
        const res = await createKey(before, ['legacy:all']);
        expect(res.status).toBe(201);
        id = (res.body as { id: string }).id;
      } finally {
        await before.close();
      }
      const after = await startTestApp(shared, [FixtureModule]);
      try {
        const rotate = await request(after.url)
          .post(`/api-keys/${id}/rotate`)
          .set('Authorization', `Bearer ${admin}`)
          .send({});
        expect(rotate.status).toBe(409);
        expect((rotate.body as Problem).detail).toContain('revoke it and create a new key');
        expect(rotate.text).not.toContain('legacy:all');
        expect(await listedScopes(after)).toEqual([['legacy:all']]);
        const revoke = await request(after.url)
          .post(`/api-keys/${id}/revoke`)
          .set('Authorization', `Bearer ${admin}`);
        expect(revoke.status).toBe(200);
      } finally {
        await after.close();
      }
    });
  });
});
