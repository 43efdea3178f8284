import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { ApiKeyFormat } from '../src/kit/api-keys/api-key-format';
import { closeStarted } from './support/cleanup';
import { logCapture } from './support/log-capture';
import { startTestApp, TestApp } from './support/test-app';
import { TokenFactory } from './support/tokens';
import { FixtureTokens } from './support/fixture/fixture-tokens';
import { FixtureModule } from './support/fixture/fixture.module';

interface Problem {
  status: number;
  errors?: { field: string; rule: string }[];
}

/**
 * Free-text fields refuse secret-shaped text (src/kit/security/free-text.schema.ts): a key or token
 * pasted into a name would otherwise be stored and shown to every reader.
 */
describe('freeText', () => {
  const tokens = new FixtureTokens();
  const user = tokens.rs256({ scope: 'widgets:read widgets:write api-keys:admin' });
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp(tokens.env(), [FixtureModule]);
  });
  afterAll(() => closeStarted(app));

  const post = (path: string, body: object) =>
    request(app.url).post(path).set('Authorization', `Bearer ${user}`).send(body);

  const listedNames = async (path: string): Promise<string[]> => {
    const res = await request(app.url).get(path).set('Authorization', `Bearer ${user}`);
    expect(res.status).toBe(200);
    return (res.body as { name: string }[]).map((row) => row.name);
  };

  /**
   * Generated at run time (never committed): a key of our format, and a signed JWT short enough
   * to fit every name field, so the refusal is the shape and not the length.
   */
  const secrets = (): [string, string][] => [
    ['an API key', ApiKeyFormat.generate('test').key],
    ['a JWT', TokenFactory.signHs(randomBytes(32), { alg: 'HS256' }, { sub: 'x' })],
  ];

  it.each(secrets())(
    'when a widget is named with %s, 400 names the field and the rule, echoes nothing, stores nothing',
    async (_what, secret) => {
      logCapture.clear();
      const res = await post('/fixture/widgets', { name: `pallet ${secret}`, stock: 1 });
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect((res.body as Problem).errors).toEqual([{ field: 'name', rule: 'secret_shaped' }]);
      expect(JSON.stringify(res.headers) + res.text).not.toContain(secret);
      expect(logCapture.text()).not.toContain(secret);
      const names = await listedNames('/fixture/widgets');
      expect(names.some((name) => name.includes(secret))).toBe(false);
    },
  );

  it('when a widget has an ordinary name, it is stored and listed', async () => {
    const res = await post('/fixture/widgets', { name: 'Blue widget (large) - 2 m', stock: 3 });
    expect(res.status).toBe(201);
    expect(await listedNames('/fixture/widgets')).toContain('Blue widget (large) - 2 m');
  });

  it.each(secrets())(
    'when an API key is named with %s, 400 names the field and the rule, and no key is created',
    async (_what, secret) => {
      const res = await post('/api-keys', { name: secret, scopes: ['widgets:stock'] });
      expect(res.status).toBe(400);
      expect((res.body as Problem).errors).toEqual([{ field: 'name', rule: 'secret_shaped' }]);
      expect(JSON.stringify(res.headers) + res.text).not.toContain(secret);
      expect(await listedNames('/api-keys')).not.toContain(secret);
    },
  );
});
