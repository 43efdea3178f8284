import { generateKeyPairSync, KeyObject, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenFactory } from '../../../test/support/tokens';
import { AppConfig } from '../config/app-config';
import { DevKeyMaterial } from './dev-key-material';
import { JwtKeyResolver } from './jwt-key.resolver';
import { TokenRejectedError } from './token-rejected.error';

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
/** A token with this header; payload and signature are never looked at by the resolver. */
const withHeader = (header: unknown, signature = 'c2ln'): string =>
  `${b64(header)}.${b64({ sub: 'alice' })}.${signature}`;

const baseEnv = {
  NODE_ENV: 'test',
  DATABASE_URL: ':memory:',
  JWT_ISSUER: 'https://issuer.test',
  JWT_AUDIENCE: 'leakproof-test',
};

/** The resolver's answer: the key it picked, or the closed reason it refused with. */
async function outcome(resolver: JwtKeyResolver, token: string): Promise<KeyObject | string> {
  try {
    return await resolver.resolve(token);
  } catch (error) {
    if (error instanceof TokenRejectedError) return error.reason;
    throw error;
  }
}

describe('JwtKeyResolver', () => {
  const config = AppConfig.fromEnv({
    ...baseEnv,
    JWT_SECRET: randomBytes(32).toString('base64url'),
    JWT_TOKEN_TYPES: 'at+jwt,application/custom+jwt',
  });
  const resolver = new JwtKeyResolver(config, null);
  const source = config.jwt.keySource;
  const key = source.kind === 'secret' ? source.key : null;
  const good = { alg: 'HS256', typ: 'at+jwt' };

  it('when the header is well formed, the configured key is returned', async () => {
    expect(key).toBeInstanceOf(KeyObject);
    await expect(outcome(resolver, withHeader(good))).resolves.toBe(key);
  });

  it('when the token is 8192 characters it is read; at 8193 it is too_long', async () => {
    const head = withHeader(good, '');
    await expect(outcome(resolver, head + 'a'.repeat(8192 - head.length))).resolves.toBe(key);
    await expect(outcome(resolver, head + 'a'.repeat(8193 - head.length))).resolves.toBe(
      'too_long',
    );
  });

  it.each([
    ['two segments', `${b64(good)}.${b64({})}`],
    ['four segments', `${withHeader(good)}.x`],
    ['one segment', b64(good)],
    ['a header that is not JSON', `${Buffer.from('{"alg"').toString('base64url')}.e30.c2ln`],
    ['a header that is an array', withHeader([good])],
    ['a header that is null', withHeader(null)],
    ['a header that is a number', withHeader(7)],
    ['a header that is a string', withHeader('HS256')],
  ])('when the token has %s, it is malformed', async (_name, token) => {
    await expect(outcome(resolver, token)).resolves.toBe('malformed');
  });

  it('when the signature segment is empty, it is bad_signature before anything else', async () => {
    await expect(outcome(resolver, withHeader(good, ''))).resolves.toBe('bad_signature');
    await expect(outcome(resolver, withHeader({ alg: 'none' }, ''))).resolves.toBe('bad_signature');
  });

  it.each([
    ['no alg', { typ: 'at+jwt' }],
    ['alg none', { alg: 'none', typ: 'at+jwt' }],
    ['an algorithm not configured', { alg: 'RS256', typ: 'at+jwt' }],
    ['the configured algorithm in other case', { alg: 'hs256', typ: 'at+jwt' }],
    ['a non-string alg', { alg: ['HS256'], typ: 'at+jwt' }],
  ])('when the header has %s, it is bad_algorithm', async (_name, header) => {
    await expect(outcome(resolver, withHeader(header))).resolves.toBe('bad_algorithm');
  });

  it.each(['jku', 'x5u', 'jwk', 'x5c', 'crit', 'cty', 'b64'])(
    'when the header carries %s, it is bad_header',
    async (name) => {
      await expect(outcome(resolver, withHeader({ ...good, [name]: 'x' }))).resolves.toBe(
        'bad_header',
      );
    },
  );

  it('when the algorithm is wrong and a forbidden header is present, the algorithm is named', async () => {
    await expect(outcome(resolver, withHeader({ alg: 'none', jku: 'x' }))).resolves.toBe(
      'bad_algorithm',
    );
  });

  it.each([
    ['no typ', { alg: 'HS256' }],
    ['typ JWT', { ...good, typ: 'JWT' }],
    ['a non-string typ', { ...good, typ: 7 }],
    ['an application/ prefix not at the start', { ...good, typ: 'xapplication/at+jwt' }],
    ['a typ with the prefix doubled', { ...good, typ: 'application/application/at+jwt' }],
    ['the prefix after the type', { ...good, typ: 'at+jwtapplication/' }],
  ])('when the header has %s, it is bad_type', async (_name, header) => {
    await expect(outcome(resolver, withHeader(header))).resolves.toBe('bad_type');
  });

  it.each([
    ['in upper case', 'AT+JWT'],
    ['with the media type prefix', 'application/at+jwt'],
    ['with the prefix in mixed case', 'Application/At+Jwt'],
    ['another configured type', 'application/custom+jwt'],
  ])('when typ is %s, it is accepted', async (_name, typ) => {
    await expect(outcome(resolver, withHeader({ ...good, typ }))).resolves.toBe(key);
  });

  it.each([
    ['a number', 7],
    ['empty', ''],
    ['129 characters', 'k'.repeat(129)],
    ['a space', 'a b'],
    ['a character before an allowed run', '$abc'],
    ['a character after an allowed run', 'abc$'],
  ])('when kid is %s, it is bad_header', async (_name, kid) => {
    await expect(outcome(resolver, withHeader({ ...good, kid }))).resolves.toBe('bad_header');
  });

  it.each([
    ['one character', 'k'],
    ['128 characters', 'k'.repeat(128)],
    ['every allowed character', 'AZaz09._~-'],
  ])('when kid is %s, it is accepted', async (_name, kid) => {
    await expect(outcome(resolver, withHeader({ ...good, kid }))).resolves.toBe(key);
  });

  it('when the key is a configured public key, that key is returned', async () => {
    const tokens = new TokenFactory();
    const publicConfig = AppConfig.fromEnv({ ...baseEnv, ...tokens.env() });
    const publicSource = publicConfig.jwt.keySource;
    const publicResolver = new JwtKeyResolver(publicConfig, null);
    expect(publicSource.kind).toBe('public-key');
    await expect(
      outcome(publicResolver, withHeader({ alg: 'RS256', typ: 'at+jwt' })),
    ).resolves.toBe(publicSource.kind === 'public-key' ? publicSource.key : null);
  });

  describe('with the development issuer', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jwt-key-resolver-'));
    afterAll(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    const devConfig = AppConfig.fromEnv({ ...baseEnv, DEV_KEYS_DIR: dir });

    it('when its key material is loaded, its public key is returned', async () => {
      const devKeys = DevKeyMaterial.loadOrCreate(dir);
      const devResolver = new JwtKeyResolver(devConfig, devKeys);
      await expect(outcome(devResolver, withHeader({ alg: 'RS256', typ: 'at+jwt' }))).resolves.toBe(
        devKeys.publicKey,
      );
    });

    it('when its key material is missing, construction fails', () => {
      expect(() => new JwtKeyResolver(devConfig, null)).toThrow(
        'The development issuer needs its key material loaded',
      );
    });
  });

  describe('with a JWKS', () => {
    const jwk = (kid: string): Record<string, unknown> => ({
      ...generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }),
      kid,
      use: 'sig',
      alg: 'RS256',
    });
    const first = jwk('first');
    const second = jwk('second');
    let served: Record<string, unknown>[] = [first];
    let fetches = 0;
    let server: Server;
    let uri = '';

    beforeAll(async () => {
      server = createServer((_req, res) => {
        fetches += 1;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ keys: served }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
    });
    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
    });
    afterEach(() => {
      jest.restoreAllMocks();
      served = [first];
    });

    const jwksResolver = (): JwtKeyResolver =>
      new JwtKeyResolver(AppConfig.fromEnv({ ...baseEnv, JWT_JWKS_URI: uri }), null);
    const rs = (kid?: string): string =>
      withHeader(
        kid === undefined ? { alg: 'RS256', typ: 'at+jwt' } : { alg: 'RS256', typ: 'at+jwt', kid },
      );

    it('when the kid is published, its key is returned and kept for ten minutes, then asked for again', async () => {
      const now = Date.now();
      const clock = jest.spyOn(Date, 'now').mockReturnValue(now);
      const jwks = jwksResolver();
      const key = await outcome(jwks, rs('first'));
      expect(key).toBeInstanceOf(KeyObject);
      expect((key as KeyObject).export({ format: 'jwk' }).n).toBe(first.n);
      const before = fetches;
      clock.mockReturnValue(now + 10 * 60_000 - 1);
      await expect(outcome(jwks, rs('first'))).resolves.toBe(key);
      expect(fetches).toBe(before);
      // Past ten minutes the kept key object is dropped and the key is asked for again.
      clock.mockReturnValue(now + 10 * 60_000 + 1);
      const again = await outcome(jwks, rs('first'));
      expect(again).toBeInstanceOf(KeyObject);
      expect(again).not.toBe(key);
    });

    it('when the cached entry reaches its expiry exactly, a fresh key object is produced', async () => {
      const now = Date.now();
      const clock = jest.spyOn(Date, 'now').mockReturnValue(now);
      const jwks = jwksResolver();
      const key = await outcome(jwks, rs('first'));
      clock.mockReturnValue(now + 10 * 60_000);
      const again = await outcome(jwks, rs('first'));
      expect(again).toBeInstanceOf(KeyObject);
      expect(again).not.toBe(key);
    });

    it('when the kept key expires, the JWKS client answers from its own cache without a fetch', async () => {
      const now = Date.now();
      const clock = jest.spyOn(Date, 'now').mockReturnValue(now);
      const jwks = jwksResolver();
      await expect(outcome(jwks, rs('first'))).resolves.toBeInstanceOf(KeyObject);
      const before = fetches;
      clock.mockReturnValue(now + 10 * 60_000 + 1);
      await expect(outcome(jwks, rs('first'))).resolves.toBeInstanceOf(KeyObject);
      expect(fetches).toBe(before);
    });

    it('when tokens name many unknown kids, the JWKS is fetched at most ten times a minute', async () => {
      const jwks = jwksResolver();
      const before = fetches;
      for (let i = 0; i < 14; i++) {
        await expect(outcome(jwks, rs(`unknown-${String(i)}`))).resolves.toBe('unknown_key');
      }
      expect(fetches - before).toBeLessThanOrEqual(10);
      expect(fetches - before).toBeGreaterThan(0);
    });

    it('when the kid is not published, it is unknown_key', async () => {
      await expect(outcome(jwksResolver(), rs('missing'))).resolves.toBe('unknown_key');
    });

    it('when the token names no kid and the JWKS has one key, that key is used', async () => {
      const key = await outcome(jwksResolver(), rs());
      expect((key as KeyObject).export({ format: 'jwk' }).n).toBe(first.n);
    });

    it('when the token names no kid and the JWKS has two keys, it is unknown_key', async () => {
      served = [first, second];
      await expect(outcome(jwksResolver(), rs())).resolves.toBe('unknown_key');
    });

    it('when the JWKS cannot be reached, it is unknown_key', async () => {
      const unreachable = new JwtKeyResolver(
        AppConfig.fromEnv({ ...baseEnv, JWT_JWKS_URI: 'http://127.0.0.1:9/jwks.json' }),
        null,
      );
      await expect(outcome(unreachable, rs('first'))).resolves.toBe('unknown_key');
    });
  });
});
