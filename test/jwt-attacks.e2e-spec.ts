import { createHmac, randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { closeStarted } from './support/cleanup';
import { logCapture } from './support/log-capture';
import { startTestApp, TestApp } from './support/test-app';
import { TokenFactory } from './support/tokens';
import { FixtureModule } from './support/fixture/fixture.module';
import { FixtureTokens } from './support/fixture/fixture-tokens';

/**
 * The JWT attack corpus (docs/threat-model.md §9) over HTTP against the real app. Every attack
 * gets the same 401: constant body, `WWW-Authenticate: Bearer ... error="invalid_token"`.
 */
const INVALID_CHALLENGE =
  'Bearer realm="leakproof", error="invalid_token", error_description="The credential is invalid"';
const now = (): number => Math.floor(Date.now() / 1000);

describe('JWT attack suite', () => {
  const tokens = new FixtureTokens();
  let app: TestApp;
  let canary: Server;
  let canaryUrl: string;
  const canaryHits: IncomingMessage[] = [];

  beforeAll(async () => {
    canary = createServer((req, res) => {
      canaryHits.push(req);
      res.end('{}');
    });
    await new Promise<void>((resolve) => canary.listen(0, '127.0.0.1', resolve));
    canaryUrl = `http://127.0.0.1:${(canary.address() as AddressInfo).port}`;
    app = await startTestApp(tokens.env(), [FixtureModule]);
  });

  afterAll(async () => {
    await closeStarted(app);
    await new Promise((resolve) => canary.close(resolve));
  });

  const get = (token: string) =>
    request(app.url).get('/fixture/widgets').set('Authorization', `Bearer ${token}`);

  async function expectInvalid(token: string): Promise<void> {
    const res = await get(token);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe(INVALID_CHALLENGE);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const { requestId, ...rest } = res.body as { requestId: string };
    expect(typeof requestId).toBe('string');
    expect(rest).toEqual({ type: 'about:blank', title: 'Unauthorized', status: 401 });
    expect(res.text).not.toContain(token);
  }

  it('when the token is valid, 200', async () => {
    const res = await get(tokens.rs256());
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it.each(['none', 'None', 'NONE', 'nOnE'])(
    'when alg is %s with an empty signature, 401',
    async (alg) => {
      await expectInvalid(TokenFactory.unsigned({ alg, typ: 'at+jwt' }, tokens.claims()));
    },
  );

  it('when the signature is stripped, 401', async () => {
    const [h, p] = tokens.rs256().split('.');
    await expectInvalid(`${h}.${p}.`);
  });

  it('when the signature is broken, 401', async () => {
    await expectInvalid(tokens.rs256().slice(0, -4));
  });

  it('when the payload is changed after signing, 401', async () => {
    const [h, , s] = tokens.rs256().split('.');
    const forged = Buffer.from(JSON.stringify(tokens.claims({ sub: 'admin' }))).toString(
      'base64url',
    );
    await expectInvalid(`${h}.${forged}.${s}`);
  });

  it('when HS256 is signed with the RSA public key (key confusion), 401', async () => {
    await expectInvalid(
      TokenFactory.signHs(tokens.publicKeyPem, { alg: 'HS256', typ: 'at+jwt' }, tokens.claims()),
    );
  });

  it.each([
    ['blank', ''],
    ['short', 'secret'],
  ])('when HS256 is signed with a %s secret, 401', async (_name, secret) => {
    await expectInvalid(
      TokenFactory.signHs(secret, { alg: 'HS256', typ: 'at+jwt' }, tokens.claims()),
    );
  });

  it.each(['exp', 'iat', 'sub'])('when the %s claim is missing, 401', async (claim) => {
    await expectInvalid(tokens.rs256({ [claim]: undefined }));
  });

  it.each([
    ['sub is a number', { sub: 1 }],
    ['exp is a string', { exp: String(now() + 600) }],
    ['scope is an array', { scope: ['widgets:read'] }],
  ])('when %s, 401', async (_name, claims) => {
    await expectInvalid(tokens.rs256(claims));
  });

  it('when the token expired beyond the clock tolerance, 401', async () => {
    await expectInvalid(tokens.rs256({ iat: now() - 600, exp: now() - 31 }));
  });

  it('when nbf is in the future, 401', async () => {
    await expectInvalid(tokens.rs256({ nbf: now() + 300 }));
  });

  it('when iat is in the future, 401', async () => {
    await expectInvalid(tokens.rs256({ iat: now() + 3600, exp: now() + 4000 }));
  });

  it('when the lifetime exceeds the maximum, 401', async () => {
    await expectInvalid(tokens.rs256({ exp: now() + 7200 }));
  });

  it.each([
    ['wrong', 'https://evil.test'],
    ['trailing slash', 'https://issuer.test/'],
    ['case variant', 'https://ISSUER.test'],
    ['prefix', 'https://issuer.test.evil'],
    ['absent', undefined],
  ])('when iss is %s, 401', async (_name, iss) => {
    await expectInvalid(tokens.rs256({ iss }));
  });

  it.each([
    ['wrong', 'other-api'],
    ['trailing slash', 'leakproof-test/'],
    ['case variant', 'Leakproof-Test'],
    ['an array without a match', ['other-api', 'third-api']],
    ['absent', undefined],
  ])('when aud is %s, 401', async (_name, aud) => {
    await expectInvalid(tokens.rs256({ aud }));
  });

  it('when aud is an array that contains ours, 200', async () => {
    expect((await get(tokens.rs256({ aud: ['other-api', 'leakproof-test'] }))).status).toBe(200);
  });

  it('when the crit header names an extension, 401', async () => {
    await expectInvalid(tokens.rs256({}, { crit: ['x-foo'], 'x-foo': 1 }));
  });

  it.each([
    ['JWT', 'JWT'],
    ['an ID token type', 'id_token+jwt'],
    ['absent', undefined],
  ])('when typ is %s, 401', async (_name, typ) => {
    await expectInvalid(tokens.rs256({}, { typ }));
  });

  it('when typ is application/at+jwt, 200', async () => {
    expect((await get(tokens.rs256({}, { typ: 'application/at+jwt' }))).status).toBe(200);
  });

  it.each(['../../../../dev/null', "x' UNION SELECT '1';--", '|sleep 10', 'a\r\nforged: line'])(
    'when kid is the injection payload %j, 401',
    async (kid) => {
      await expectInvalid(
        TokenFactory.signHs('', { alg: 'HS256', typ: 'at+jwt', kid }, tokens.claims()),
      );
      await expectInvalid(tokens.rs256({ sub: 'x' }, { kid, alg: 'RS512' }));
    },
  );

  it.each(['jku', 'x5u'])(
    'when the %s header points at a loopback server, 401 and it is never called',
    async (name) => {
      await expectInvalid(tokens.rs256({}, { [name]: `${canaryUrl}/jwks.json` }));
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(canaryHits).toHaveLength(0);
    },
  );

  it('when a jwk header embeds the attacker key, 401', async () => {
    const attacker = new FixtureTokens();
    const jwk = { ...attacker.privateKey.export({ format: 'jwk' }), d: undefined };
    await expectInvalid(
      TokenFactory.signRs(
        attacker.privateKey,
        { alg: 'RS256', typ: 'at+jwt', jwk },
        tokens.claims(),
      ),
    );
  });

  it('when the token is signed by another key, 401', async () => {
    const attacker = new FixtureTokens();
    await expectInvalid(
      TokenFactory.signRs(attacker.privateKey, { alg: 'RS256', typ: 'at+jwt' }, tokens.claims()),
    );
  });

  it('when the token is oversized, 401; when the header exceeds Node limits, 431', async () => {
    await expectInvalid(tokens.rs256({ pad: 'x'.repeat(9000) }));
    const huge = await get(`${tokens.rs256()}${'x'.repeat(20_000)}`);
    expect(huge.status).toBe(431);
  });

  it('when the token is not a JWT at all, 401', async () => {
    await expectInvalid('not-a-jwt');
    await expectInvalid('a.b.c');
    await expectInvalid('e30.e30.e30');
  });

  it('when there is no token, 401 with the bare challenge', async () => {
    const res = await request(app.url).get('/fixture/widgets');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="leakproof"');
  });

  it.each(['access_token', 'token'])(
    'when the token is in the %s query parameter, 401 with the bare challenge',
    async (name) => {
      const token = tokens.rs256();
      const res = await request(app.url).get(`/fixture/widgets?${name}=${token}`);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="leakproof"');
      expect(res.text).not.toContain(token);
    },
  );

  it.each([
    ['?access_token', (t: string) => [`/fixture/widgets?access_token=${t}`, {}]],
    ['X-API-Key', (t: string) => ['/fixture/widgets', { 'X-API-Key': t }]],
  ] as [string, (t: string) => [string, Record<string, string>]][])(
    'when a valid bearer token comes with a second credential in %s, 400 invalid_request',
    async (_where, second) => {
      const token = tokens.rs256();
      const [path, headers] = second(tokens.rs256({ sub: 'mallory' }));
      const res = await request(app.url)
        .get(path)
        .set(headers)
        .set('Authorization', `Bearer ${token}`);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.headers['www-authenticate']).toBe(
        'Bearer realm="leakproof", error="invalid_request", error_description="The request carries more than one credential"',
      );
      expect(res.text).not.toContain(token);
    },
  );

  it.each(['widgets:read', 'widgets:write', 'widgets:readwidgets:write'])(
    'when the token holds %s but the route needs two scopes, 403 insufficient_scope',
    async (scope) => {
      const res = await request(app.url)
        .post('/fixture/widgets')
        .set('Authorization', `Bearer ${tokens.rs256({ scope })}`)
        .send({ name: 'x' });
      expect(res.status).toBe(403);
      expect(res.headers['www-authenticate']).toBe(
        'Bearer realm="leakproof", error="insufficient_scope", scope="widgets:read widgets:write"',
      );
    },
  );

  it('when the token holds both scopes the route needs, 201', async () => {
    const res = await request(app.url)
      .post('/fixture/widgets')
      .set('Authorization', `Bearer ${tokens.rs256({ scope: 'widgets:write widgets:read' })}`)
      .send({ name: 'x' });
    expect(res.status).toBe(201);
  });

  it('when tokens are rejected, the log carries reason codes and never a token', async () => {
    logCapture.clear();
    const token = tokens.rs256({ exp: now() - 120, iat: now() - 600 });
    await expectInvalid(token);
    const events = logCapture.failures();
    expect(events.map((e) => e.reason)).toEqual(['expired']);
    expect(logCapture.text()).not.toContain(token.split('.')[2]);
  });
});

describe('JWT attack suite against a JWKS key source', () => {
  const tokens = new FixtureTokens();
  let jwks: Server;
  let app: TestApp;
  let fetches = 0;

  beforeAll(async () => {
    const jwk = tokens.privateKey.export({ format: 'jwk' });
    jwks = createServer((_req, res) => {
      fetches++;
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          keys: [{ kty: jwk.kty, n: jwk.n, e: jwk.e, kid: 'k1', alg: 'RS256', use: 'sig' }],
        }),
      );
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const { port } = jwks.address() as AddressInfo;
    app = await startTestApp(
      {
        JWT_JWKS_URI: `http://127.0.0.1:${port}/jwks.json`,
        JWT_ISSUER: tokens.issuer,
        JWT_AUDIENCE: tokens.audience,
      },
      [FixtureModule],
    );
  });

  afterAll(async () => {
    await closeStarted(app);
    await new Promise((resolve) => jwks.close(resolve));
  });

  it('when the token is signed by a JWKS key, 200', async () => {
    const res = await request(app.url)
      .get('/fixture/widgets')
      .set('Authorization', `Bearer ${tokens.rs256({}, { kid: 'k1' })}`);
    expect(res.status).toBe(200);
  });

  it('when an unsigned RS256 token names an unknown kid, 401 and the process keeps serving', async () => {
    const token = TokenFactory.unsigned(
      { alg: 'RS256', typ: 'at+jwt', kid: 'nope' },
      tokens.claims(),
    );
    const res = await request(app.url)
      .get('/fixture/widgets')
      .set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(401);
    const signed = tokens.rs256({}, { kid: 'unknown-kid' });
    expect(
      (await request(app.url).get('/fixture/widgets').set('Authorization', `Bearer ${signed}`))
        .status,
    ).toBe(401);
    expect((await request(app.url).get('/health/live')).status).toBe(200);
  });

  it('when many unknown kids arrive, the JWKS is fetched a bounded number of times', async () => {
    const before = fetches;
    for (let i = 0; i < 30; i++) {
      await request(app.url)
        .get('/fixture/widgets')
        .set('Authorization', `Bearer ${tokens.rs256({}, { kid: `random-${i}` })}`);
    }
    expect(fetches - before).toBeLessThanOrEqual(10);
  });
});

describe('JWT with an HS256 secret', () => {
  let app: TestApp;
  const secret = randomBytes(32).toString('base64url');

  beforeAll(async () => {
    app = await startTestApp({ JWT_SECRET: secret, JWT_ISSUER: 'iss', JWT_AUDIENCE: 'aud' }, [
      FixtureModule,
    ]);
  });
  afterAll(() => closeStarted(app));

  const claims = () => ({
    iss: 'iss',
    aud: 'aud',
    sub: 's',
    iat: now(),
    exp: now() + 60,
    scope: 'widgets:read',
  });

  it('when signed with the configured secret, 200', async () => {
    const token = TokenFactory.signHs(secret, { alg: 'HS256', typ: 'at+jwt' }, claims());
    expect(
      (await request(app.url).get('/fixture/widgets').set('Authorization', `Bearer ${token}`))
        .status,
    ).toBe(200);
  });

  it('when signed with HS512 (not allowed), 401', async () => {
    const input = `${Buffer.from(JSON.stringify({ alg: 'HS512', typ: 'at+jwt' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims())).toString('base64url')}`;
    const sig = createHmac('sha512', secret).update(input).digest('base64url');
    expect(
      (
        await request(app.url)
          .get('/fixture/widgets')
          .set('Authorization', `Bearer ${input}.${sig}`)
      ).status,
    ).toBe(401);
  });
});
