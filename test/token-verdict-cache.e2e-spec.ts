import jsonwebtoken from 'jsonwebtoken';
import request from 'supertest';
import { closeStarted } from './support/cleanup';
import { logCapture } from './support/log-capture';
import { FixtureModule } from './support/fixture/fixture.module';
import { FixtureTokens } from './support/fixture/fixture-tokens';
import { startTestApp, TestApp } from './support/test-app';
import { TokenFactory } from './support/tokens';

/**
 * The verified-token cache (src/kit/auth/token-verdict.cache.ts) over HTTP against the real app:
 * it saves signature checks for a repeated token, and it can never be used to accept a token
 * that full verification would refuse. `jsonwebtoken.verify` is watched (not replaced) to tell
 * a cache hit from a full verification.
 */
const now = (): number => Math.floor(Date.now() / 1000);

describe('TokenVerdictCache over HTTP', () => {
  const tokens = new FixtureTokens();
  let app: TestApp;
  let verify: jest.SpyInstance;

  beforeAll(async () => {
    app = await startTestApp(tokens.env(), [FixtureModule]);
  });

  afterAll(async () => {
    await closeStarted(app);
  });

  beforeEach(() => {
    verify = jest.spyOn(jsonwebtoken, 'verify');
    logCapture.clear();
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  const get = (token: string) =>
    request(app.url).get('/fixture/widgets').set('Authorization', `Bearer ${token}`);

  const reasons = (): unknown[] => logCapture.failures().map((l) => l.reason);

  /** Runs `fn` with the wall clock moved by `seconds` (the cache's own timers are not moved). */
  async function withClockMoved(seconds: number, fn: () => Promise<void>): Promise<void> {
    const realNow = Date.now.bind(Date);
    const spy = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + seconds * 1000);
    try {
      await fn();
    } finally {
      spy.mockRestore();
    }
  }

  it('when the same token comes again, it is accepted without a second signature check', async () => {
    const token = tokens.rs256();
    expect((await get(token)).status).toBe(200);
    expect((await get(token)).status).toBe(200);
    expect((await get(token)).status).toBe(200);
    expect(verify).toHaveBeenCalledTimes(1);
  });

  it('when a cached token is changed in its signature, payload or header, 401 every time', async () => {
    const token = tokens.rs256();
    expect((await get(token)).status).toBe(200);
    const [h, p, s] = token.split('.');
    const flip = (text: string, at: number): string =>
      `${text.slice(0, at)}${text[at] === 'A' ? 'B' : 'A'}${text.slice(at + 1)}`;
    const forgedPayload = Buffer.from(
      JSON.stringify(tokens.claims({ sub: 'admin', scope: 'widgets:read widgets:write admin' })),
    ).toString('base64url');
    const forgedHeader = Buffer.from(
      JSON.stringify({ alg: 'RS256', typ: 'at+jwt', kid: 'k' }),
    ).toString('base64url');
    const variants = [
      `${h}.${p}.${flip(s, 0)}`,
      `${h}.${p}.${flip(s, s.length - 2)}`,
      `${h}.${forgedPayload}.${s}`,
      `${h}.${flip(p, 5)}.${s}`,
      `${forgedHeader}.${p}.${s}`,
      `${h}.${p}.${s}A`,
    ];
    for (const variant of variants) expect((await get(variant)).status).toBe(401);
    expect(reasons().every((r) => r === 'bad_signature' || r === 'malformed')).toBe(true);
    expect(reasons()).toHaveLength(variants.length);
    expect((await get(token)).status).toBe(200);
  });

  it('when the clock passes exp after the token was cached, 401 expired', async () => {
    const token = tokens.rs256({ iat: now(), exp: now() + 120 });
    expect((await get(token)).status).toBe(200);
    expect((await get(token)).status).toBe(200);
    await withClockMoved(120 + 31, async () => {
      const res = await get(token);
      expect(res.status).toBe(401);
    });
    expect(reasons()).toEqual(['expired']);
  });

  it('when the clock moves back so that iat is in the future, a cached token is refused', async () => {
    const token = tokens.rs256({ iat: now(), exp: now() + 600 });
    expect((await get(token)).status).toBe(200);
    const calls = verify.mock.calls.length;
    await withClockMoved(-120, async () => {
      expect((await get(token)).status).toBe(401);
    });
    // The verdict came from the cache; the strategy's claim checks refused it anyway.
    expect(verify.mock.calls.length).toBe(calls);
    expect(reasons()).toEqual(['issued_in_future']);
  });

  it('when a token whose lifetime is too long comes again, it is refused again', async () => {
    const token = tokens.rs256({ exp: now() + 7200 });
    expect((await get(token)).status).toBe(401);
    expect((await get(token)).status).toBe(401);
    expect(reasons()).toEqual(['lifetime_too_long', 'lifetime_too_long']);
  });

  it('when a forged token is repeated, the same 401 and reason, with one signature check', async () => {
    const attacker = new TokenFactory();
    const forged = TokenFactory.signRs(
      attacker.privateKey,
      { alg: 'RS256', typ: 'at+jwt' },
      tokens.claims(),
    );
    for (let i = 0; i < 3; i++) expect((await get(forged)).status).toBe(401);
    expect(verify).toHaveBeenCalledTimes(1);
    expect(reasons()).toEqual(['bad_signature', 'bad_signature', 'bad_signature']);
  });

  it('when the token is not yet valid, it is refused while the rejection is remembered', async () => {
    const token = tokens.rs256({ nbf: now() + 300 });
    expect((await get(token)).status).toBe(401);
    await withClockMoved(301, async () => {
      expect((await get(token)).status).toBe(401);
    });
    expect(reasons()).toEqual(['not_yet_valid', 'not_yet_valid']);
  });
});
