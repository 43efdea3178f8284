import { Logger } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { randomBytes } from 'node:crypto';
import { Migrator } from 'kysely/migration';
import { AppConfig } from '../config/app-config';
import { Database } from '../database/database';
import { DatabaseFactory } from '../database/database.factory';
import { MigrationSet } from '../database/migration-set';
import { RedisConnection } from '../redis/redis-connection';
import { ProblemException } from '../security/problem.exception';
import { apiKeysMigrations } from './api-keys.migrations';
import { ApiKeyFailureLimiter } from './api-key-failure.limiter';
import { ApiKeyFormat } from './api-key-format';
import { ApiKeyHasher } from './api-key.hasher';
import { ApiKeyRepository } from './api-key.repository';
import { ApiKeyAuthenticator } from './api-key.authenticator';
import { ApiKeyVerifier } from './api-key.verifier';
import { ApiKeysService } from './api-keys.service';
import { ApiKeyScopePolicy } from './api-key-scope.policy';

const strong = (): string => randomBytes(32).toString('base64url');

interface FakeRequest {
  url: string;
  headers: Record<string, string | string[]>;
  body?: unknown;
  ip?: string;
  socket: { remoteAddress?: string };
  user?: unknown;
}

function request(over: Partial<FakeRequest> = {}): FakeRequest {
  return { url: '/stock', headers: {}, ip: '192.0.2.1', socket: {}, ...over };
}

/** The problem a refused request gets, as status, reason, detail and headers. */
async function refusal(authenticator: ApiKeyAuthenticator, req: FakeRequest) {
  try {
    await authenticator.canActivate(new ExecutionContextHost([req, {}]));
  } catch (error) {
    if (!(error instanceof ProblemException)) throw error;
    return {
      status: error.getStatus(),
      reason: error.problem.reason,
      detail: error.problem.detail,
      headers: error.problem.headers,
    };
  }
  throw new Error('the request was let through');
}

describe('ApiKeyAuthenticator', () => {
  let db: Database;
  let service: ApiKeysService;
  let authenticator: ApiKeyAuthenticator;
  let warn: jest.SpyInstance;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    db = DatabaseFactory.create(
      AppConfig.fromEnv({
        NODE_ENV: 'test',
        JWT_SECRET: strong(),
        API_KEY_PEPPER: strong(),
        DATABASE_URL: ':memory:',
      }),
      () => undefined,
    );
    const { error } = await new Migrator({
      db,
      provider: new MigrationSet([apiKeysMigrations]),
    }).migrateToLatest();
    expect(error).toBeUndefined();
  });
  afterAll(() => db.destroy());
  beforeEach(() => {
    const config = AppConfig.fromEnv({
      NODE_ENV: 'test',
      JWT_SECRET: strong(),
      API_KEY_PEPPER: strong(),
      API_KEY_FAILURES_PER_MINUTE: '2',
      DATABASE_URL: ':memory:',
    });
    const repository = new ApiKeyRepository(db);
    const hasher = new ApiKeyHasher(config, null);
    const verifier = new ApiKeyVerifier(repository, hasher, config);
    service = new ApiKeysService(
      repository,
      hasher,
      verifier,
      config,
      new ApiKeyScopePolicy(['stock:write', 'stock:read']),
    );
    authenticator = new ApiKeyAuthenticator(
      verifier,
      new ApiKeyFailureLimiter(config, new RedisConnection(config)),
    );
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  const create = () =>
    service.create({ name: 'ci', scopes: ['stock:write', 'stock:read'] }, 'tester');

  it('when X-API-Key holds a valid key, it lets the request through as that machine with its scopes', async () => {
    const { key, id } = await create();
    const req = request({ headers: { 'x-api-key': key } });
    await expect(authenticator.canActivate(new ExecutionContextHost([req, {}]))).resolves.toBe(
      true,
    );
    expect(req.user).toEqual({
      kind: 'machine',
      subject: id,
      scopes: new Set(['stock:write', 'stock:read']),
    });
    expect(warn).not.toHaveBeenCalled();
  });

  it('when no key is sent, or an empty or repeated header, the answer is the missing-credentials challenge', async () => {
    const cases: FakeRequest['headers'][] = [{}, { 'x-api-key': '' }, { 'x-api-key': ['a', 'b'] }];
    for (const headers of cases) {
      expect(await refusal(authenticator, request({ headers }))).toMatchObject({
        status: 401,
        reason: 'missing_credentials',
      });
    }
  });

  it('when keys fail for different reasons, the client gets one status and challenge; the reason and id go to the log', async () => {
    const { key } = ApiKeyFormat.generate('test');
    const parsed = ApiKeyFormat.parse(key);
    const malformed = await refusal(authenticator, request({ headers: { 'x-api-key': 'x' } }));
    const unknown = await refusal(
      authenticator,
      request({ headers: { 'x-api-key': key }, ip: '192.0.2.2' }),
    );
    expect(malformed).toMatchObject({ status: 401, reason: 'api_key_malformed' });
    expect(unknown).toMatchObject({ status: 401, reason: 'api_key_unknown' });
    expect(unknown.headers).toEqual(malformed.headers);
    expect(unknown.detail).toEqual(malformed.detail);
    expect(JSON.stringify(unknown)).not.toContain(key);
    expect(warn).toHaveBeenCalledWith({
      event: 'api_key_rejected',
      reason: 'unknown',
      keyId: parsed.valid ? parsed.publicId : 'unparsed',
    });
    expect(warn).toHaveBeenCalledWith({
      event: 'api_key_rejected',
      reason: 'malformed',
      keyId: null,
    });
  });

  it('when an address exceeds the failure limit, it gets 429 with Retry-After and no log line per guess', async () => {
    jest.spyOn(Date, 'now').mockReturnValue(1_800_000_000_000);
    const guess = () => request({ headers: { 'x-api-key': ApiKeyFormat.generate('test').key } });
    expect((await refusal(authenticator, guess())).status).toBe(401);
    expect((await refusal(authenticator, guess())).status).toBe(401);
    expect(warn).toHaveBeenCalledTimes(2);
    expect(await refusal(authenticator, guess())).toEqual({
      status: 429,
      reason: 'api_key_failures_limited',
      detail: undefined,
      headers: { 'Retry-After': '60' },
    });
    expect(warn).toHaveBeenCalledTimes(2);
    // Another address has its own budget.
    expect((await refusal(authenticator, { ...guess(), ip: '198.51.100.7' })).status).toBe(401);
  });

  it('when the request has no ip, failures are counted per socket address, else under one shared bucket', async () => {
    const guess = (over: Partial<FakeRequest>) =>
      request({ headers: { 'x-api-key': 'x' }, ...over });
    for (let i = 0; i < 2; i++) {
      await refusal(
        authenticator,
        guess({ ip: undefined, socket: { remoteAddress: '203.0.113.9' } }),
      );
    }
    expect((await refusal(authenticator, guess({ ip: '203.0.113.9' }))).status).toBe(429);
    for (let i = 0; i < 2; i++) {
      expect((await refusal(authenticator, guess({ ip: undefined }))).status).toBe(401);
    }
    expect((await refusal(authenticator, guess({ ip: 'unknown' }))).status).toBe(429);
  });

  it('when a credential is in the query string, it is refused with a fixed 400 that never echoes it', async () => {
    const { key } = await create();
    const urls = [
      `/stock?api_key=${key}`,
      `/stock?page=2&X-API-KEY=whatever`,
      '/stock?x_api_key=1',
      '/stock?ApiKey=1',
      `/stock?q=${key}`,
      '/stock?q=lp_live_A',
      '?apikey=1',
    ];
    for (const url of urls) {
      const answer = await refusal(authenticator, request({ url, headers: { 'x-api-key': key } }));
      expect({ url, answer }).toEqual({
        url,
        answer: {
          status: 400,
          reason: 'credential_in_query',
          detail: 'Send the API key in the X-API-Key header, never in the URL or the body.',
          headers: undefined,
        },
      });
    }
  });

  it('when the query or body only looks near a credential, the key in the header decides', async () => {
    const { key } = await create();
    const harmless: Partial<FakeRequest>[] = [
      { url: '/stock?page=2&q=lp_prod_AAAA' },
      { url: '/stock?q=xlp_test_AAAA' },
      { url: '/stock?q=lp_test_' },
      { url: '/stock?q=lp_test_-x' },
      { url: '/stock?=1' },
      { url: '/x=lp_test_AAAA' },
      { url: '/lp_test_AAAA/stock' },
      { body: undefined },
      { body: null },
      { body: 'plain text' },
      { body: ['plain', 1, null, { a: 'b' }] },
      { body: { name: 'ci', nested: { api_key: 'not top level', list: [{ x: 1 }] } } },
      { body: { q: 'lp_test_' } },
      { body: { q: 'lp_live_ x', 'lp_test_.': 1, '': 'x' } },
    ];
    for (const over of harmless) {
      const req = request({ ...over, headers: { 'x-api-key': key } });
      await expect(authenticator.canActivate(new ExecutionContextHost([req, {}]))).resolves.toBe(
        true,
      );
    }
  });

  it('when a credential is in the body, by name at the top level or by shape anywhere, it is refused with 400', async () => {
    const { key } = await create();
    const bodies: unknown[] = [
      { name: 'ci', api_key: 'x' },
      { 'X-Api-Key': 'x' },
      { apikey: 'x' },
      `token ${key}`,
      [['deep', [`lp_live_A`]]],
      { a: { b: [{ c: `lp_test_${'A'.repeat(12)}` }] } },
      { a: { [`lp_test_B`]: 1 } },
    ];
    for (const body of bodies) {
      const answer = await refusal(authenticator, request({ body, headers: { 'x-api-key': key } }));
      expect({ body, answer: [answer.status, answer.reason] }).toEqual({
        body,
        answer: [400, 'credential_in_body'],
      });
    }
  });
});
