import { crc32 } from 'node:zlib';
import request from 'supertest';
import type { Response } from 'supertest';
import { ApiKeyFormat } from '../src/kit/api-keys/api-key-format';
import { ApiKeyVerifier } from '../src/kit/api-keys/api-key.verifier';
import { Base62 } from '../src/kit/api-keys/base62';
import { closeStarted } from './support/cleanup';
import { logCapture } from './support/log-capture';
import { startTestApp, TestApp } from './support/test-app';
import { FixtureModule } from './support/fixture/fixture.module';
import { TokenFactory } from './support/tokens';

/**
 * API keys over HTTP against the real app (docs/threat-model.md §4, §10): the machine route,
 * every refusal, the admin API with rotation and revocation, and a final sweep proving no key
 * ever appeared outside its create or rotate response, or in the log.
 */
const INVALID =
  'ApiKey realm="leakproof", error="invalid_key", error_description="The credential is invalid"';

interface Created {
  id: string;
  key: string;
  status: string;
  expiresAt: string | null;
}

describe('ApiKeyAuthenticator', () => {
  const tokens = new TokenFactory();
  const admin = tokens.rs256({
    sub: 'admin-alice',
    scope: 'api-keys:admin widgets:read widgets:write',
  });
  /** Every key minted in this file, and every response that was not a create or rotate. */
  const keys: string[] = [];
  const otherResponses: Response[] = [];
  let app: TestApp;
  let widgetId: string;

  beforeAll(async () => {
    app = await startTestApp(
      {
        ...tokens.env(),
        API_KEY_FAILURES_PER_MINUTE: '10000',
        // Some keys here carry scopes no key route needs, to show they still open no JWT route.
        API_KEY_ALLOWED_SCOPES: 'widgets:stock,widgets:read,api-keys:admin',
      },
      [FixtureModule],
    );
    const res = await request(app.url)
      .post('/fixture/widgets')
      .set('Authorization', `Bearer ${admin}`)
      .send({ name: 'pallet', stock: 1 });
    widgetId = (res.body as { id: string }).id;
  });
  afterAll(() => closeStarted(app));

  const track = (res: Response): Response => {
    otherResponses.push(res);
    return res;
  };

  async function createKey(scopes = ['widgets:stock'], extra: object = {}): Promise<Created> {
    const res = await request(app.url)
      .post('/api-keys')
      .set('Authorization', `Bearer ${admin}`)
      .send({ name: 'warehouse sync', scopes, ...extra });
    expect(res.status).toBe(201);
    const body = res.body as Created;
    keys.push(body.key);
    return body;
  }

  async function rotate(id: string, body: object = {}): Promise<Response> {
    const res = await request(app.url)
      .post(`/api-keys/${id}/rotate`)
      .set('Authorization', `Bearer ${admin}`)
      .send(body);
    if (res.status === 201) keys.push((res.body as Created).key);
    else track(res);
    return res;
  }

  const adminCall = (method: 'get' | 'post', path: string) =>
    request(app.url)[method](path).set('Authorization', `Bearer ${admin}`);

  async function putStock(
    key: string | null,
    stock = 5,
    path = `/fixture/widgets/${widgetId}/stock`,
  ) {
    const req = request(app.url).put(path);
    if (key !== null) req.set('X-API-Key', key);
    return track(await req.send({ stock }));
  }

  function expectInvalid(res: Response): void {
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe(INVALID);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  }

  const withoutRequestId = (res: Response): object => {
    const { requestId, ...rest } = res.body as { requestId: string };
    expect(typeof requestId).toBe('string');
    return rest;
  };

  it('when the key is valid and holds the scope, the stock is updated (200)', async () => {
    const { key } = await createKey();
    const res = await putStock(key, 42);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: widgetId, stock: 42 });
    expect(res.headers['cache-control']).toBe('no-store');
    const item = track(await adminCall('get', `/fixture/widgets/${widgetId}`));
    expect((item.body as { stock: number }).stock).toBe(42);
  });

  it('when the item does not exist, 404 after authentication', async () => {
    const { key } = await createKey();
    const res = await putStock(
      key,
      1,
      '/fixture/widgets/00000000-0000-4000-8000-000000000000/stock',
    );
    expect(res.status).toBe(404);
  });

  it('when the key is unknown, malformed, forged, revoked, expired or from another environment, every 401 is identical', async () => {
    logCapture.clear();
    const revoked = await createKey();
    expect((await putStock(revoked.key)).status).toBe(200);
    track(await adminCall('post', `/api-keys/${revoked.id}/revoke`));
    const expired = await createKey();
    expect((await rotate(expired.id, { overlap: '0s' })).status).toBe(201);
    const valid = await createKey();
    const unknown = ApiKeyFormat.generate('test').key;
    const live = ApiKeyFormat.generate('live').key;
    const badChecksum = `${valid.key.slice(0, -1)}${valid.key.endsWith('0') ? '1' : '0'}`;
    // The CRC is no secret: a forger with a real public id computes it; the digest still fails.
    const body = `lp_test_${valid.id}_${Base62.random(32)}`;
    const mismatch = `${body}${Base62.encodeFixed(crc32(body), 6)}`;
    keys.push(unknown, live, badChecksum, mismatch);
    const cases: [string, string][] = [
      ['unknown', unknown],
      ['malformed', 'not-a-key'],
      ['bad_checksum', badChecksum],
      ['mismatch', mismatch],
      ['revoked', revoked.key],
      ['expired', expired.key],
      ['wrong_environment', live],
    ];
    const bodies: object[] = [];
    for (const [, key] of cases) {
      const res = await putStock(key);
      expectInvalid(res);
      bodies.push(withoutRequestId(res));
    }
    for (const body of bodies) expect(body).toEqual(bodies[0]);
    expect(bodies[0]).toEqual({ type: 'about:blank', title: 'Unauthorized', status: 401 });

    const rejected = logCapture.lines().filter((l) => l.event === 'api_key_rejected');
    expect(rejected.map((l) => l.reason)).toEqual(cases.map(([reason]) => reason));
    expect(rejected.find((l) => l.reason === 'revoked')?.keyId).toBe(revoked.id);
    expect(rejected.find((l) => l.reason === 'expired')?.keyId).toBe(expired.id);
    expect(rejected.find((l) => l.reason === 'malformed')?.keyId).toBeNull();
    const failed = logCapture.failures();
    expect(failed.map((l) => l.reason)).toEqual(
      expect.arrayContaining(cases.map(([reason]) => `api_key_${reason}`)),
    );
  });

  it('when no key is sent, 401 with the bare ApiKey challenge', async () => {
    const res = await putStock(null);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('ApiKey realm="leakproof"');
  });

  it('when the key lacks the route scope, 403 insufficient_scope', async () => {
    const { key } = await createKey(['widgets:read']);
    const res = await putStock(key);
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toBe(
      'ApiKey realm="leakproof", error="insufficient_scope", scope="widgets:stock"',
    );
  });

  it.each(['api_key', 'apikey', 'key', 'access_token', 'API_KEY', 'note'])(
    'when the key is in the %s query parameter instead of the header, 400 and the value is never echoed',
    async (name) => {
      const { key } = await createKey();
      logCapture.clear();
      const res = track(
        await request(app.url)
          .put(`/fixture/widgets/${widgetId}/stock?${name}=${key}`)
          .send({ stock: 1 }),
      );
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect((res.body as { detail: string }).detail).toMatch(/X-API-Key header/);
      expect(res.text).not.toContain(key);
      const failed = logCapture.failures();
      expect(failed.map((l) => l.reason)).toEqual(['credential_in_query']);
    },
  );

  it('when the header holds the key and a key-shaped value sits in another query parameter, 400 credential_in_query', async () => {
    const { key } = await createKey();
    logCapture.clear();
    const res = track(
      await request(app.url)
        .put(`/fixture/widgets/${widgetId}/stock?note=${key}`)
        .set('X-API-Key', key)
        .send({ stock: 1 }),
    );
    expect(res.status).toBe(400);
    expect(res.text).not.toContain(key);
    expect(logCapture.failures().map((l) => l.reason)).toEqual(['credential_in_query']);
  });

  it.each(['api_key', 'access_token', 'API_KEY'])(
    'when the header holds the key and the %s query parameter holds another credential, 400 invalid_request',
    async (name) => {
      const { key } = await createKey();
      logCapture.clear();
      const res = track(
        await request(app.url)
          .put(`/fixture/widgets/${widgetId}/stock?${name}=${key}`)
          .set('X-API-Key', key)
          .send({ stock: 1 }),
      );
      expect(res.status).toBe(400);
      expect(res.headers['www-authenticate']).toMatch(
        /^Bearer realm="leakproof", error="invalid_request"/,
      );
      expect(res.text).not.toContain(key);
      expect(logCapture.failures().map((l) => l.reason)).toEqual(['multiple_credentials']);
    },
  );

  it.each([
    ['a credential field', (key: string) => ({ stock: 1, api_key: key })],
    ['an X-API-Key field', (key: string) => ({ stock: 1, 'X-API-Key': key })],
    ['a key-shaped value', (key: string) => ({ stock: 1, note: `see ${key}` })],
    ['a key-shaped value nested deep', (key: string) => ({ stock: 1, a: [[{ b: [[key]] }]] })],
    ['a key-shaped name nested deep', (key: string) => ({ stock: 1, a: [{ [key]: 1 }] })],
  ])(
    'when the body carries %s, 400 credential_in_body and the value is never echoed',
    async (_name, body) => {
      const { key } = await createKey();
      logCapture.clear();
      const res = track(
        await request(app.url)
          .put(`/fixture/widgets/${widgetId}/stock`)
          .set('X-API-Key', key)
          .set('Content-Type', 'application/json')
          .send(JSON.stringify(body(key))),
      );
      expect(res.status).toBe(400);
      expect(res.text).not.toContain(key);
      expect(logCapture.failures().map((l) => l.reason)).toEqual(['credential_in_body']);
    },
  );

  it('when a JWT is sent to the key route, 401 (bearer tokens never open key routes)', async () => {
    const token = tokens.rs256({ scope: 'widgets:stock api-keys:admin' });
    const res = track(
      await request(app.url)
        .put(`/fixture/widgets/${widgetId}/stock`)
        .set('Authorization', `Bearer ${token}`)
        .send({ stock: 1 }),
    );
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('ApiKey realm="leakproof"');
  });

  it('when a valid key comes with an Authorization header on the key route, 400 invalid_request', async () => {
    const { key } = await createKey();
    const res = track(
      await request(app.url)
        .put(`/fixture/widgets/${widgetId}/stock`)
        .set('X-API-Key', key)
        .set('Authorization', `Bearer ${admin}`)
        .send({ stock: 1 }),
    );
    expect(res.status).toBe(400);
    expect(res.headers['www-authenticate']).toMatch(
      /^Bearer realm="leakproof", error="invalid_request"/,
    );
    expect(res.text).not.toContain(key);
  });

  it('when a key is sent to a JWT route, as X-API-Key or as a bearer token, 401', async () => {
    const { key } = await createKey(['widgets:stock', 'widgets:read', 'api-keys:admin']);
    const asHeader = track(await request(app.url).get('/fixture/widgets').set('X-API-Key', key));
    expect(asHeader.status).toBe(401);
    expect(asHeader.headers['www-authenticate']).toBe('Bearer realm="leakproof"');
    const asBearer = track(
      await request(app.url).get('/fixture/widgets').set('Authorization', `Bearer ${key}`),
    );
    expect(asBearer.status).toBe(401);
    expect(asBearer.headers['www-authenticate']).toMatch(
      /^Bearer realm="leakproof", error="invalid_token"/,
    );
    const onAdmin = track(await request(app.url).get('/api-keys').set('X-API-Key', key));
    expect(onAdmin.status).toBe(401);
  });

  describe('admin API', () => {
    it('when a key is created, the plaintext is in that response only, marked no-store', async () => {
      const res = await request(app.url)
        .post('/api-keys')
        .set('Authorization', `Bearer ${admin}`)
        .send({ name: 'ci', scopes: ['widgets:stock'], expiresIn: '90d' });
      expect(res.status).toBe(201);
      expect(res.headers['cache-control']).toBe('no-store');
      const created = res.body as Created & Record<string, unknown>;
      keys.push(created.key);
      expect(ApiKeyFormat.parse(created.key)).toEqual({
        valid: true,
        environment: 'test',
        publicId: created.id,
      });
      expect(created).toMatchObject({
        prefix: `lp_test_${created.id}`,
        name: 'ci',
        scopes: ['widgets:stock'],
        status: 'active',
        createdBy: 'admin-alice',
        revokedAt: null,
        lastUsedAt: null,
        rotatedFrom: null,
      });
      const days = (Date.parse(created.expiresAt ?? '') - Date.now()) / 86_400_000;
      expect(days).toBeGreaterThan(89.9);
      expect(days).toBeLessThan(90.1);

      const got = track(await adminCall('get', `/api-keys/${created.id}`));
      expect(got.status).toBe(200);
      const { key: _key, ...metadata } = created;
      expect(got.body).toEqual(metadata);
    });

    it('when keys are listed, each entry is metadata: no key, digest or pepper id', async () => {
      const { id } = await createKey();
      const res = track(await adminCall('get', '/api-keys'));
      expect(res.status).toBe(200);
      const list = res.body as Record<string, unknown>[];
      expect(list.map((k) => k.id)).toContain(id);
      for (const entry of list) {
        expect(Object.keys(entry).sort()).toEqual(
          [
            'createdAt',
            'createdBy',
            'expiresAt',
            'id',
            'lastUsedAt',
            'name',
            'prefix',
            'revokedAt',
            'rotatedFrom',
            'scopes',
            'status',
          ].sort(),
        );
      }
    });

    it('when a key is used, its last use shows after the batched write', async () => {
      const { key, id } = await createKey();
      expect((await putStock(key)).status).toBe(200);
      await app.app.get(ApiKeyVerifier).flushLastUse();
      const res = track(await adminCall('get', `/api-keys/${id}`));
      expect(typeof (res.body as { lastUsedAt: unknown }).lastUsedAt).toBe('string');
    });

    it('when a cached valid key is revoked, the next request is refused at once', async () => {
      const { key, id } = await createKey();
      expect((await putStock(key)).status).toBe(200);
      expect((await putStock(key)).status).toBe(200);
      const revoked = track(await adminCall('post', `/api-keys/${id}/revoke`));
      expect(revoked.status).toBe(200);
      expect(revoked.body).toMatchObject({ id, status: 'revoked' });
      expectInvalid(await putStock(key));
      const again = track(await adminCall('post', `/api-keys/${id}/revoke`));
      expect(again.status).toBe(200);
    });

    it('when a key is rotated, old and new both work during the overlap, and the old one expires with it', async () => {
      const old = await createKey();
      expect((await putStock(old.key)).status).toBe(200);
      const res = await rotate(old.id, { overlap: '1h' });
      expect(res.status).toBe(201);
      expect(res.headers['cache-control']).toBe('no-store');
      const successor = res.body as Created & { rotatedFrom: string; previous: Created };
      expect(successor.rotatedFrom).toBe(old.id);
      expect(successor.previous.id).toBe(old.id);
      const overlapEnd = Date.parse(successor.previous.expiresAt ?? '');
      expect(overlapEnd - Date.now()).toBeGreaterThan(3500_000);
      expect(overlapEnd - Date.now()).toBeLessThanOrEqual(3600_000);
      expect((await putStock(old.key)).status).toBe(200);
      expect((await putStock(successor.key)).status).toBe(200);

      const twice = await rotate(old.id);
      expect(twice.status).toBe(409);

      const next = await createKey();
      const immediate = await rotate(next.id, { overlap: '0s' });
      expect(immediate.status).toBe(201);
      expectInvalid(await putStock(next.key));
      expect((await putStock((immediate.body as Created).key)).status).toBe(200);
    });

    it('when a revoked key is rotated, 409', async () => {
      const { id } = await createKey();
      track(await adminCall('post', `/api-keys/${id}/revoke`));
      expect((await rotate(id)).status).toBe(409);
    });

    it('when the id is unknown, 404; when it is not an id, 400', async () => {
      const unknown = track(await adminCall('get', '/api-keys/AAAAAAAAAAAA'));
      expect(unknown.status).toBe(404);
      const bad = track(await adminCall('get', '/api-keys/not-an-id'));
      expect(bad.status).toBe(400);
    });

    it.each([
      ['no scopes', { name: 'x', scopes: [] }],
      ['a bad scope', { name: 'x', scopes: ['Stock Write'] }],
      ['an unknown field', { name: 'x', scopes: ['a'], admin: true }],
      ['a bad duration', { name: 'x', scopes: ['a'], expiresIn: '90 days' }],
      ['a too short lifetime', { name: 'x', scopes: ['a'], expiresIn: '10s' }],
    ])('when the body has %s, 400', async (_name, body) => {
      const res = track(await adminCall('post', '/api-keys').send(body));
      expect(res.status).toBe(400);
    });

    it('when a key is pasted into the name, 400 and it is neither stored nor echoed', async () => {
      const { key } = await createKey();
      const res = track(await adminCall('post', '/api-keys').send({ name: key, scopes: ['a'] }));
      expect(res.status).toBe(400);
      const list = track(await adminCall('get', '/api-keys'));
      expect(list.text).not.toContain(key);
    });

    it('when the caller has a JWT without api-keys:admin, 403; with an API key, 401', async () => {
      const plain = tokens.rs256({ scope: 'widgets:read widgets:write' });
      const res = track(
        await request(app.url)
          .post('/api-keys')
          .set('Authorization', `Bearer ${plain}`)
          .send({ name: 'x', scopes: ['a'] }),
      );
      expect(res.status).toBe(403);
      const { key } = await createKey(['api-keys:admin']);
      const withKey = track(
        await request(app.url)
          .post('/api-keys')
          .set('X-API-Key', key)
          .send({ name: 'x', scopes: ['a'] }),
      );
      expect(withKey.status).toBe(401);
    });

    it('when keys are created, rotated and revoked, the log holds audit events with ids and actors', async () => {
      logCapture.clear();
      const { id } = await createKey();
      await rotate(id);
      track(await adminCall('post', `/api-keys/${id}/revoke`));
      const audit = logCapture
        .lines()
        .filter(
          (l) => typeof l.event === 'string' && /^api_key_(created|rotated|revoked)$/.test(l.event),
        );
      expect(audit.map((l) => [l.event, l.actor])).toEqual([
        ['api_key_created', 'admin-alice'],
        ['api_key_rotated', 'admin-alice'],
        ['api_key_revoked', 'admin-alice'],
      ]);
      expect(audit[0].keyId).toBe(id);
    });
  });

  it('when everything above has run, no key appears in the log or in any response but its own create or rotate', () => {
    expect(keys.length).toBeGreaterThan(20);
    expect(otherResponses.length).toBeGreaterThan(30);
    const log = logCapture.text();
    const secrets = keys.flatMap((key) => [key, key.slice(21, 53)]);
    for (const res of otherResponses) {
      const text = `${JSON.stringify(res.headers)}\n${res.text}`;
      for (const secret of secrets) expect(text.includes(secret)).toBe(false);
    }
    for (const secret of secrets) expect(log.includes(secret)).toBe(false);
  });
});

describe('ApiKeyFailureLimiter over HTTP', () => {
  const tokens = new TokenFactory();
  const admin = tokens.rs256({ scope: 'api-keys:admin widgets:read widgets:write' });
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ ...tokens.env(), API_KEY_FAILURES_PER_MINUTE: '3' }, [
      FixtureModule,
    ]);
  });
  afterAll(() => closeStarted(app));

  const put = (key: string) =>
    request(app.url)
      .put('/fixture/widgets/00000000-0000-4000-8000-000000000000/stock')
      .set('X-API-Key', key)
      .send({ stock: 1 });

  const expectLimited = (res: Response): void => {
    expect(res.status).toBe(429);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
  };

  it('when an address exceeds its failed verifications, further bad keys get 429 with Retry-After while a valid key from the same address is served', async () => {
    const created = await request(app.url)
      .post('/api-keys')
      .set('Authorization', `Bearer ${admin}`)
      .send({ name: 'behind the same NAT', scopes: ['widgets:stock'] });
    const { key } = created.body as Created;
    const item = await request(app.url)
      .post('/fixture/widgets')
      .set('Authorization', `Bearer ${admin}`)
      .send({ name: 'shared', stock: 0 });
    const { id } = item.body as { id: string };

    for (let i = 0; i < 3; i++) {
      expect((await put(ApiKeyFormat.generate('test').key)).status).toBe(401);
    }
    logCapture.clear();
    expectLimited(await put(ApiKeyFormat.generate('test').key));
    expectLimited(await put('not-even-a-key'));
    expect(logCapture.failures().map((l) => l.reason)).toEqual([
      'api_key_failures_limited',
      'api_key_failures_limited',
    ]);

    const valid = await request(app.url)
      .put(`/fixture/widgets/${id}/stock`)
      .set('X-API-Key', key)
      .send({ stock: 7 });
    expect(valid.status).toBe(200);
    expect(valid.body).toMatchObject({ id, stock: 7 });

    // Served once, the valid key does not reopen the address to guesses.
    expectLimited(await put(ApiKeyFormat.generate('test').key));
    // A request with no key is not a guess: the bare challenge, as ever.
    const none = await request(app.url).put(`/fixture/widgets/${id}/stock`).send({ stock: 1 });
    expect(none.status).toBe(401);
  });
});
