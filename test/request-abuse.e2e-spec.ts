import request from 'supertest';
import type { Response } from 'supertest';
import { ApiKeyFormat } from '../src/kit/api-keys/api-key-format';
import { MAX_JSON_DEPTH } from '../src/kit/http/request-pipeline';
import { closeStarted } from './support/cleanup';
import { logCapture } from './support/log-capture';
import { rawRequest } from './support/raw-http';
import { startTestApp, TestApp } from './support/test-app';
import { FixtureTokens } from './support/fixture/fixture-tokens';
import { FixtureModule } from './support/fixture/fixture.module';

const ERROR_LEVEL = 50;
const INVALID_REQUEST = /^Bearer realm="leakproof", error="invalid_request"/;

/** `depth` nested arrays around a scalar: `[[[1]]]` for 3. */
const nested = (depth: number): string => `${'['.repeat(depth)}1${']'.repeat(depth)}`;

describe('JSON body depth', () => {
  const tokens = new FixtureTokens();
  let app: TestApp;
  let widgetId: string;
  let key: string;

  beforeAll(async () => {
    app = await startTestApp(tokens.env(), [FixtureModule]);
    const admin = `Bearer ${tokens.rs256({ scope: 'api-keys:admin widgets:read widgets:write' })}`;
    const widget = await request(app.url)
      .post('/fixture/widgets')
      .set('Authorization', admin)
      .send({ name: 'deep', stock: 1 });
    widgetId = (widget.body as { id: string }).id;
    const created = await request(app.url)
      .post('/api-keys')
      .set('Authorization', admin)
      .send({ name: 'deep', scopes: ['widgets:stock'] });
    key = (created.body as { key: string }).key;
  });
  afterAll(() => closeStarted(app));

  const send = (
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    body: string,
    headers: Record<string, string> = {},
  ) =>
    rawRequest(app.url, {
      method,
      path,
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });

  const routes: [string, () => ['GET' | 'POST' | 'PUT', string, Record<string, string>]][] = [
    ['a public route', () => ['GET', '/health/live', {}]],
    [
      'a JWT route (GET)',
      () => ['GET', '/fixture/widgets', { authorization: `Bearer ${tokens.rs256()}` }],
    ],
    [
      'a JWT route (POST)',
      () => ['POST', '/fixture/widgets', { authorization: `Bearer ${tokens.rs256()}` }],
    ],
    ['an API-key route', () => ['PUT', `/fixture/widgets/${widgetId}/stock`, { 'x-api-key': key }]],
    ['an unmapped route', () => ['POST', '/no/such/route', {}]],
  ];

  it.each(routes)(
    'when a body of 40,000 nested arrays reaches %s, 400 problem+json and no error is logged',
    async (_name, route) => {
      const [method, path, headers] = route();
      const body = nested(40_000);
      logCapture.clear();
      const res = await send(method, path, body, headers);
      expect(res.status).toBe(400);
      expect(res.headerText).toMatch(/content-type: application\/problem\+json/i);
      expect(JSON.parse(res.body)).toMatchObject({ title: 'Bad Request', status: 400 });
      const lines = logCapture.lines();
      expect(lines.filter((l) => (l.level as number) >= ERROR_LEVEL)).toEqual([]);
      expect(logCapture.failures().map((l) => [l.status, l.reason])).toEqual([
        [400, 'entity.too.deep'],
      ]);
    },
  );

  it('when a body nests one level past the bound, 400; at the bound, it is parsed', async () => {
    // The object is one level, so the array inside adds depth - 1.
    const body = (depth: number): string => `{"stock":1,"extra":${nested(depth - 1)}}`;
    const headers = { 'x-api-key': key };
    logCapture.clear();
    const over = await send(
      'PUT',
      `/fixture/widgets/${widgetId}/stock`,
      body(MAX_JSON_DEPTH + 1),
      headers,
    );
    expect(over.status).toBe(400);
    const at = await send(
      'PUT',
      `/fixture/widgets/${widgetId}/stock`,
      body(MAX_JSON_DEPTH),
      headers,
    );
    // Parsed, so the schema saw it: an unknown field, not a refusal of the bytes.
    expect(at.status).toBe(400);
    expect(JSON.parse(at.body)).toMatchObject({
      errors: [{ field: '(root)', rule: 'unrecognized_keys' }],
    });
    expect(logCapture.failures().map((l) => l.reason)).toEqual([
      'entity.too.deep',
      expect.not.stringMatching(/^entity\./) as unknown,
    ]);
    const flat = await send('PUT', `/fixture/widgets/${widgetId}/stock`, '{"stock":3}', headers);
    expect(flat.status).toBe(200);
  });

  it('when brackets are inside strings or escaped quotes, they do not count as depth', async () => {
    const name = `${'['.repeat(MAX_JSON_DEPTH * 2)}\\"${'{'.repeat(MAX_JSON_DEPTH * 2)}`;
    const res = await send(
      'POST',
      '/fixture/widgets',
      JSON.stringify({ name: JSON.parse(`"${name}"`) }),
      {
        authorization: `Bearer ${tokens.rs256()}`,
      },
    );
    expect(res.status).toBe(201);
  });

  it('when the JSON is not UTF-8, 415 (the depth scan reads UTF-8 only, as RFC 8259 requires)', async () => {
    const res = await send('GET', '/health/live', '[]', {
      'content-type': 'application/json; charset=utf-16le',
    });
    expect(res.status).toBe(415);
  });
});

describe('AuthenticationGuard with more than one credential', () => {
  const tokens = new FixtureTokens();
  let app: TestApp;
  let widgetId: string;
  let key: string;
  let bearer: string;

  beforeAll(async () => {
    app = await startTestApp(tokens.env(), [FixtureModule]);
    bearer = tokens.rs256({ scope: 'api-keys:admin widgets:read widgets:write widgets:stock' });
    const widget = await request(app.url)
      .post('/fixture/widgets')
      .set('Authorization', `Bearer ${bearer}`)
      .send({ name: 'two', stock: 1 });
    widgetId = (widget.body as { id: string }).id;
    const created = await request(app.url)
      .post('/api-keys')
      .set('Authorization', `Bearer ${bearer}`)
      .send({ name: 'two', scopes: ['widgets:stock'] });
    key = (created.body as { key: string }).key;
  });
  afterAll(() => closeStarted(app));

  const kinds: [string, 'get' | 'put', () => string][] = [
    ['a public route', 'get', () => '/health/live'],
    ['a JWT route', 'get', () => '/fixture/widgets'],
    ['an API-key route', 'put', () => `/fixture/widgets/${widgetId}/stock`],
  ];
  const combinations: [string, (path: string) => [string, Record<string, string>]][] = [
    [
      'a bearer token and ?access_token',
      (p) => [`${p}?access_token=${bearer}`, { Authorization: `Bearer ${bearer}` }],
    ],
    [
      'a bearer token and X-API-Key',
      (p) => [p, { Authorization: `Bearer ${bearer}`, 'X-API-Key': key }],
    ],
    ['an API key and ?api_key', (p) => [`${p}?api_key=${key}`, { 'X-API-Key': key }]],
    ['an API key and ?Token', (p) => [`${p}?Token=${bearer}`, { 'X-API-Key': key }]],
  ];

  const expectInvalidRequest = (res: Response): void => {
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['www-authenticate']).toMatch(INVALID_REQUEST);
    expect(res.text).not.toContain(key);
    expect(res.text).not.toContain(bearer);
    expect(JSON.stringify(res.headers)).not.toContain(key);
    expect(JSON.stringify(res.headers)).not.toContain(bearer.split('.')[2]);
  };

  describe.each(kinds)('on %s', (_kind, method, path) => {
    it.each(combinations)('when the request carries %s, 400 invalid_request', async (_n, make) => {
      const [url, headers] = make(path());
      logCapture.clear();
      const res = await request(app.url)[method](url).set(headers).send({ stock: 1 });
      expectInvalidRequest(res);
      expect(logCapture.failures().map((l) => l.reason)).toEqual(['multiple_credentials']);
      expect(logCapture.text()).not.toContain(key);
      expect(logCapture.text()).not.toContain(bearer.split('.')[2]);
    });
  });

  it('when two X-API-Key headers arrive, 400 invalid_request', async () => {
    const res = await rawRequest(app.url, {
      method: 'PUT',
      path: `/fixture/widgets/${widgetId}/stock`,
      headers: { 'content-type': 'application/json', 'x-api-key': [key, key] as unknown as string },
      body: '{"stock":1}',
    });
    expect(res.status).toBe(400);
    expect(res.headerText).toMatch(
      /www-authenticate: Bearer realm="leakproof", error="invalid_request"/i,
    );
    expect(res.body).not.toContain(key);
  });

  it('when one credential is sent where it belongs, with harmless query parameters, it is accepted', async () => {
    const jwt = await request(app.url)
      .get('/fixture/widgets?limit=1')
      .set('Authorization', `Bearer ${bearer}`);
    expect(jwt.status).toBe(200);
    const api = await request(app.url)
      .put(`/fixture/widgets/${widgetId}/stock?dry=0`)
      .set('X-API-Key', key)
      .send({ stock: 2 });
    expect(api.status).toBe(200);
    const fake = ApiKeyFormat.generate('test').key;
    const publicOnly = await request(app.url).get('/health/live').set('X-API-Key', fake);
    expect(publicOnly.status).toBe(200);
  });
});
