import { createHmac, randomBytes } from 'node:crypto';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { TokenFactory, type Claims, type Header } from '../../../test/support/tokens';
import { AppConfig } from '../config/app-config';
import { ProblemException } from '../security/problem.exception';
import { JwtAuthenticator } from './jwt.authenticator';
import { JwtStrategy } from './jwt.strategy';
import { JwtKeyResolver } from './jwt-key.resolver';
import { JwtVerifierHook } from './jwt-verifier.hook';
import type { Principal } from './principal';
import { TokenRejectedError } from './token-rejected.error';
import { TokenVerdictCache } from './token-verdict.cache';

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'leakproof-test';

type PassportOutcome = { principal: Principal } | { reason: string };

/**
 * Runs passport-jwt's own flow for one bearer token (extraction, our key provider, the verifier
 * hook, `validate()`), and reports the principal or the closed reason the request would get.
 */
function authenticate(strategy: Strategy, authorization: string): Promise<PassportOutcome> {
  return new Promise((resolve) => {
    const run = Object.create(strategy) as Strategy & {
      success: (user: Principal) => void;
      fail: (info: unknown) => void;
      error: (err: unknown) => void;
    };
    run.success = (principal) => {
      resolve({ principal });
    };
    run.fail = (info) => {
      resolve({ reason: TokenRejectedError.reasonOf(info) });
    };
    run.error = (err) => {
      resolve({ reason: TokenRejectedError.reasonOf(err) });
    };
    run.authenticate({ headers: { authorization } } as never, {});
  });
}

describe('JwtStrategy', () => {
  const secret = randomBytes(32).toString('base64url');
  const config = AppConfig.fromEnv({
    NODE_ENV: 'test',
    DATABASE_URL: ':memory:',
    JWT_SECRET: secret,
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
    JWT_MAX_TOKEN_LIFETIME: '600',
  });
  const strategy = new JwtStrategy(config, new JwtKeyResolver(config, null));
  const now = (): number => Math.floor(Date.now() / 1000);
  const claims = (overrides: Claims = {}): Claims => ({
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'alice',
    iat: now(),
    exp: now() + 300,
    scope: 'items:read items:write',
    ...overrides,
  });
  const token = (overrides: Claims = {}, header: Header = {}, key: string = secret): string =>
    TokenFactory.signHs(key, { alg: 'HS256', typ: 'at+jwt', ...header }, claims(overrides));
  const bearer = async (overrides: Claims = {}, header: Header = {}): Promise<PassportOutcome> =>
    authenticate(strategy, `Bearer ${token(overrides, header)}`);
  const reasonOf = (fn: () => unknown): string => {
    try {
      fn();
    } catch (error) {
      return TokenRejectedError.reasonOf(error);
    }
    return 'accepted';
  };

  afterEach(() => {
    jest.restoreAllMocks();
  });

  describe('validate', () => {
    const base = { sub: 'alice', iat: 1_000, exp: 1_300 };
    const at = (seconds: number): void => {
      jest.spyOn(Date, 'now').mockReturnValue(seconds * 1000 + 999);
    };

    it('when the claims are complete, the principal carries the subject and each scope once', () => {
      at(1_000);
      expect(strategy.validate({ ...base, scope: ' a  b a ' })).toEqual({
        kind: 'user',
        subject: 'alice',
        scopes: new Set(['a', 'b']),
      });
      expect(strategy.validate(base).scopes.size).toBe(0);
    });

    it.each([
      ['an empty sub', { ...base, sub: '' }],
      ['a 256-character sub', { ...base, sub: 's'.repeat(256) }],
      ['a numeric sub', { ...base, sub: 7 }],
      ['no iat', { ...base, iat: undefined }],
      ['a string iat', { ...base, iat: '1000' }],
      ['no exp', { ...base, exp: undefined }],
      ['a string exp', { ...base, exp: '1300' }],
      ['a non-string scope', { ...base, scope: ['a'] }],
    ])('when the token has %s, it is missing_claim', (_name, input) => {
      at(1_000);
      expect(reasonOf(() => strategy.validate(input))).toBe('missing_claim');
    });

    it('when sub is one or 255 characters, it is accepted', () => {
      at(1_000);
      expect(strategy.validate({ ...base, sub: 's' }).subject).toBe('s');
      expect(strategy.validate({ ...base, sub: 's'.repeat(255) }).subject).toHaveLength(255);
    });

    it('when iat is exactly now plus the 30 s tolerance it is accepted; one second later it is issued_in_future', () => {
      at(1_000);
      expect(reasonOf(() => strategy.validate({ ...base, iat: 1_030, exp: 1_330 }))).toBe(
        'accepted',
      );
      expect(reasonOf(() => strategy.validate({ ...base, iat: 1_031, exp: 1_331 }))).toBe(
        'issued_in_future',
      );
    });

    it('when the lifetime is exactly the maximum it is accepted; one second more is lifetime_too_long', () => {
      at(1_000);
      expect(reasonOf(() => strategy.validate({ ...base, exp: 1_600 }))).toBe('accepted');
      expect(reasonOf(() => strategy.validate({ ...base, exp: 1_601 }))).toBe('lifetime_too_long');
    });
  });

  describe('through passport-jwt', () => {
    it('when the token is valid, the principal is the subject with its scopes', async () => {
      await expect(bearer()).resolves.toEqual({
        principal: {
          kind: 'user',
          subject: 'alice',
          scopes: new Set(['items:read', 'items:write']),
        },
      });
    });

    it.each([
      ['another issuer', 'bad_issuer', { iss: 'https://other.test' }],
      ['another audience', 'bad_audience', { aud: 'other' }],
      ['an expired exp', 'expired', { iat: now() - 200, exp: now() - 100 }],
      ['a future nbf', 'not_yet_valid', { nbf: now() + 120 }],
      ['no sub', 'missing_claim', { sub: undefined }],
      ['iat two minutes ahead', 'issued_in_future', { iat: now() + 120, exp: now() + 300 }],
    ] as [string, string, Claims][])(
      'when the token has %s, the reason is %s',
      async (_name, reason, overrides) => {
        await expect(bearer(overrides)).resolves.toEqual({ reason });
      },
    );

    it('when the token expired within the 30 s clock tolerance, it is still accepted', async () => {
      await expect(bearer({ iat: now() - 100, exp: now() - 10 })).resolves.toHaveProperty(
        'principal',
      );
    });

    it('when a token was verified through passport, the strategy remembers it', async () => {
      const valid = token({ scope: 'remembered' });
      expect(strategy.remembered(valid)).toBeUndefined();
      await expect(authenticate(strategy, `Bearer ${valid}`)).resolves.toHaveProperty('principal');
      expect(strategy.remembered(valid)).toEqual({
        kind: 'user',
        subject: 'alice',
        scopes: new Set(['remembered']),
      });
    });

    it('when the token is signed with another key, it is bad_signature, and again from the cache', async () => {
      const forged = token({}, {}, randomBytes(32).toString('base64url'));
      await expect(authenticate(strategy, `Bearer ${forged}`)).resolves.toEqual({
        reason: 'bad_signature',
      });
      await expect(authenticate(strategy, `Bearer ${forged}`)).resolves.toEqual({
        reason: 'bad_signature',
      });
    });

    it('when a verified token is presented again, its claims are checked again', async () => {
      const valid = token({ scope: 'a' });
      await expect(authenticate(strategy, `Bearer ${valid}`)).resolves.toHaveProperty('principal');
      await expect(authenticate(strategy, `Bearer ${valid}`)).resolves.toEqual({
        principal: { kind: 'user', subject: 'alice', scopes: new Set(['a']) },
      });
    });

    it('when the header names an algorithm outside the configuration, the key provider refuses it', async () => {
      await expect(bearer({}, { alg: 'HS384' })).resolves.toEqual({ reason: 'bad_algorithm' });
    });

    it('when the token is not a bearer header, nothing is verified', async () => {
      await expect(authenticate(strategy, `Basic ${token()}`)).resolves.toEqual({
        reason: 'invalid',
      });
    });
  });
});

describe('JwtAuthenticator', () => {
  const secret = randomBytes(32).toString('base64url');
  const config = AppConfig.fromEnv({
    NODE_ENV: 'test',
    DATABASE_URL: ':memory:',
    JWT_SECRET: secret,
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
  });
  const resolver = new JwtKeyResolver(config, null);
  new JwtStrategy(config, resolver);
  const guard = new JwtAuthenticator();
  const request = (authorization?: string): Record<string, unknown> => ({
    headers: authorization === undefined ? {} : { authorization },
  });
  const context = (req: Record<string, unknown>): ExecutionContextHost =>
    new ExecutionContextHost([req, { setHeader: () => undefined }, () => undefined]);
  /** The 401's closed reason, or 'allowed'. */
  const answer = async (req: Record<string, unknown>): Promise<string> => {
    try {
      expect(await guard.canActivate(context(req))).toBe(true);
      return 'allowed';
    } catch (error) {
      if (!(error instanceof ProblemException)) throw error;
      expect(error.getStatus()).toBe(401);
      return String(error.problem.reason);
    }
  };
  const valid = (): string => {
    const now = Math.floor(Date.now() / 1000);
    return TokenFactory.signHs(
      secret,
      { alg: 'HS256', typ: 'at+jwt' },
      { iss: ISSUER, aud: AUDIENCE, sub: 'bob', iat: now, exp: now + 60, scope: 's' },
    );
  };

  it.each([
    ['no Authorization header', undefined],
    ['a Basic credential', 'Basic dXNlcjpwYXNz'],
    ['"Bearer" with no space', 'Bearerabc'],
    ['a scheme that only contains Bearer', 'XBearer abc'],
  ])('when the request has %s, it is missing_credentials', async (_name, header) => {
    await expect(answer(request(header))).resolves.toBe('missing_credentials');
  });

  it('when the header is not a string, it is missing_credentials', async () => {
    await expect(answer({ headers: { authorization: ['Bearer x'] } })).resolves.toBe(
      'missing_credentials',
    );
  });

  it('when the bearer token is valid, the request is let through with its principal', async () => {
    const req = request(`bearer ${valid()}`);
    await expect(answer(req)).resolves.toBe('allowed');
    expect(req.user).toEqual({ kind: 'user', subject: 'bob', scopes: new Set(['s']) });
  });

  it('when the token is refused, the 401 carries the closed reason', async () => {
    await expect(answer(request('Bearer a.b'))).resolves.toBe('malformed');
    await expect(answer(request(`Bearer ${valid()}x`))).resolves.toBe('bad_signature');
  });

  it('when the same token comes again, the remembered verdict gives the same answer', async () => {
    const token = valid();
    for (let i = 0; i < 2; i++) {
      const req = request(`Bearer ${token}`);
      await expect(answer(req)).resolves.toBe('allowed');
      expect(req.user).toEqual({ kind: 'user', subject: 'bob', scopes: new Set(['s']) });
    }
    for (let i = 0; i < 2; i++) {
      await expect(answer(request(`Bearer ${token}x`))).resolves.toBe('bad_signature');
    }
    const now = Math.floor(Date.now() / 1000);
    const noSubject = TokenFactory.signHs(
      secret,
      { alg: 'HS256', typ: 'at+jwt' },
      { iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 60 },
    );
    for (let i = 0; i < 2; i++) {
      await expect(answer(request(`Bearer ${noSubject}`))).resolves.toBe('missing_claim');
    }
  });

  it('when a token comes again, it is answered from the remembered verdict: no second header check or signature check', async () => {
    const resolve = jest.spyOn(resolver, 'resolve');
    const now = Math.floor(Date.now() / 1000);
    const token = TokenFactory.signHs(
      secret,
      { alg: 'HS256', typ: 'at+jwt' },
      { iss: ISSUER, aud: AUDIENCE, sub: randomBytes(8).toString('hex'), iat: now, exp: now + 60 },
    );
    for (const [presented, expected] of [
      [token, 'allowed'],
      [`${token}x`, 'bad_signature'],
    ]) {
      resolve.mockClear();
      await expect(answer(request(`Bearer ${presented}`))).resolves.toBe(expected);
      expect(resolve).toHaveBeenCalledTimes(1);
      const again = request(`Bearer ${presented}`);
      await expect(answer(again)).resolves.toBe(expected);
      expect(resolve).toHaveBeenCalledTimes(1);
      if (expected === 'allowed') expect(again.user).toHaveProperty('kind', 'user');
    }
  });

  it('when the cache has no verdict for a token, remembered() leaves it to passport', () => {
    const now = Math.floor(Date.now() / 1000);
    const unseen = TokenFactory.signHs(
      secret,
      { alg: 'HS256', typ: 'at+jwt' },
      { iss: ISSUER, aud: AUDIENCE, sub: randomBytes(8).toString('hex'), iat: now, exp: now + 60 },
    );
    expect(JwtStrategy.registered?.remembered(unseen)).toBeUndefined();
  });

  it('when passport reports no user and no error, the reason is invalid', () => {
    const reasonOf = (fn: () => unknown): string => {
      try {
        fn();
        return 'allowed';
      } catch (error) {
        return String((error as ProblemException).problem.reason);
      }
    };
    expect(reasonOf(() => guard.handleRequest(null, false, undefined))).toBe('invalid');
    expect(
      reasonOf(() => guard.handleRequest(null, false, new TokenRejectedError('expired'))),
    ).toBe('expired');
    expect(
      reasonOf(() =>
        guard.handleRequest(new TokenRejectedError('too_long'), { kind: 'user' }, null),
      ),
    ).toBe('too_long');
    expect(guard.handleRequest(null, { kind: 'user' }, null)).toEqual({ kind: 'user' });
  });
});

describe('JwtVerifierHook', () => {
  const cache = new TokenVerdictCache({
    maxEntries: 10,
    maxFailures: 10,
    maxTtlMs: 60_000,
    failureTtlMs: 5_000,
    clockToleranceSeconds: 30,
  });

  it('when passport-jwt exposes no verifier options, attaching fails at boot', () => {
    const message = 'passport-jwt no longer exposes its verifier options; update JwtVerifierHook';
    expect(() => {
      JwtVerifierHook.attach({}, cache);
    }).toThrow(message);
    expect(() => {
      JwtVerifierHook.attach({ _verifOpts: null }, cache);
    }).toThrow(message);
    expect(() => {
      JwtVerifierHook.attach({ _verifOpts: 'x' }, cache);
    }).toThrow(message);
  });

  it('when a strategy was not attached, its tokens are verified in full every time, nothing is cached', async () => {
    const secret = randomBytes(32).toString('base64url');
    const plain = new Strategy(
      { jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(), secretOrKey: secret },
      (payload: unknown, done: (err: unknown, user?: unknown) => void) => {
        done(null, payload);
      },
    );
    const attached = new Strategy(
      { jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(), secretOrKey: secret },
      (payload: unknown, done: (err: unknown, user?: unknown) => void) => {
        done(null, payload);
      },
    );
    JwtVerifierHook.attach(attached, cache);
    const token = TokenFactory.signHs(secret, { alg: 'HS256' }, { sub: 'x', exp: 4_000_000_000 });
    const before = cache.size;
    await expect(authenticate(plain as never, `Bearer ${token}`)).resolves.toHaveProperty(
      'principal',
    );
    expect(cache.size).toEqual(before);
    await expect(authenticate(attached as never, `Bearer ${token}`)).resolves.toHaveProperty(
      'principal',
    );
    expect(cache.size).toEqual({ verified: before.verified + 1, rejected: before.rejected });
    const forged = `${token}x`;
    await expect(authenticate(attached as never, `Bearer ${forged}`)).resolves.toEqual({
      reason: 'bad_signature',
    });
    expect(cache.lookup(TokenVerdictCache.digest(forged))).toEqual({ rejected: 'bad_signature' });
    expect(cache.lookup(TokenVerdictCache.digest(token))).toEqual({
      verified: { sub: 'x', exp: 4_000_000_000 },
    });
  });

  it('when the cache holds a verdict for a token, passport is answered from it, not from a new verification', async () => {
    const secret = randomBytes(32).toString('base64url');
    const attached = new Strategy(
      { jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(), secretOrKey: secret },
      (payload: unknown, done: (err: unknown, user?: unknown) => void) => {
        done(null, payload);
      },
    );
    const own = new TokenVerdictCache({
      maxEntries: 10,
      maxFailures: 10,
      maxTtlMs: 60_000,
      failureTtlMs: 5_000,
      clockToleranceSeconds: 30,
    });
    JwtVerifierHook.attach(attached, own);
    const good = TokenFactory.signHs(secret, { alg: 'HS256' }, { sub: 'x', exp: 4_000_000_000 });
    own.rememberRejected(TokenVerdictCache.digest(good), 'unknown_key');
    await expect(authenticate(attached as never, `Bearer ${good}`)).resolves.toEqual({
      reason: 'unknown_key',
    });
    const forged = `${good}x`;
    own.rememberVerified(TokenVerdictCache.digest(forged), { sub: 'y', exp: 4_000_000_000 });
    await expect(authenticate(attached as never, `Bearer ${forged}`)).resolves.toEqual({
      principal: { sub: 'y', exp: 4_000_000_000 },
    });
  });

  it('when a verifier returns a non-object payload, nothing is remembered', async () => {
    const secret = randomBytes(32).toString('base64url');
    const attached = new Strategy(
      { jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(), secretOrKey: secret },
      (payload: unknown, done: (err: unknown, user?: unknown) => void) => {
        done(null, { payload });
      },
    );
    const own = new TokenVerdictCache({
      maxEntries: 10,
      maxFailures: 10,
      maxTtlMs: 60_000,
      failureTtlMs: 5_000,
      clockToleranceSeconds: 30,
    });
    JwtVerifierHook.attach(attached, own);
    // jsonwebtoken returns a JWS payload that is not JSON as a string.
    const input = `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from('plain').toString('base64url')}`;
    const token = `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
    await expect(authenticate(attached as never, `Bearer ${token}`)).resolves.toEqual({
      principal: { payload: 'plain' },
    });
    expect(own.size).toEqual({ verified: 0, rejected: 0 });
  });
});
