import { generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { SecretValues } from '../config/secret-source';
import { JWT_ALGORITHMS, jwtEnv, type JwtSettings, parseJwt } from './jwt.config';

const strong = (): string => randomBytes(32).toString('base64url');
const pem = ({ publicKey }: { publicKey: KeyObject }): string =>
  publicKey.export({ type: 'spki', format: 'pem' }).toString();
const RSA = pem(generateKeyPairSync('rsa', { modulusLength: 2048 }));
const EC = pem(generateKeyPairSync('ec', { namedCurve: 'P-256' }));
const named = { JWT_ISSUER: 'https://issuer.example', JWT_AUDIENCE: 'api' };

function parse(
  vars: Record<string, string>,
  secrets: SecretValues = {},
  production = false,
): { settings: JwtSettings | null; problems: string[] } {
  const problems: string[] = [];
  const env = z.object(jwtEnv).parse(vars);
  const settings = parseJwt(env, { production, secrets, problems, devKeysDir: '/keys' });
  return { settings, problems };
}

describe('parseJwt', () => {
  it('when outside production nothing is set, the development issuer, audience and key are used', () => {
    const { settings, problems } = parse({});
    expect(problems).toEqual([]);
    expect(settings).toEqual({
      issuer: 'leakproof-dev-issuer',
      audience: 'leakproof-api',
      algorithms: ['RS256'],
      tokenTypes: ['at+jwt'],
      maxLifetimeSeconds: 3600,
      clockToleranceSeconds: 30,
      keySource: { kind: 'dev-issuer', dir: '/keys' },
    });
  });

  it('when production lacks issuer, audience and key source, each is named and nothing returns', () => {
    const { settings, problems } = parse({}, {}, true);
    expect(settings).toBeNull();
    expect(problems).toEqual([
      'JWT_ISSUER: required in production',
      'JWT_AUDIENCE: required in production',
      'JWT_JWKS_URI, JWT_PUBLIC_KEY, JWT_SECRET: production needs exactly one',
    ]);
  });

  it('when production lacks only the issuer or only the audience, nothing returns', () => {
    const secret = strong();
    expect(parse({ JWT_AUDIENCE: 'api' }, { JWT_SECRET: secret }, true)).toEqual({
      settings: null,
      problems: ['JWT_ISSUER: required in production'],
    });
    expect(parse({ JWT_ISSUER: 'i' }, { JWT_SECRET: secret }, true)).toEqual({
      settings: null,
      problems: ['JWT_AUDIENCE: required in production'],
    });
  });

  it('when production has issuer, audience and a strong secret, it is HS256 with that secret', () => {
    const secret = strong();
    const { settings, problems } = parse(named, { JWT_SECRET: secret }, true);
    expect(problems).toEqual([]);
    expect(settings?.issuer).toBe('https://issuer.example');
    expect(settings?.audience).toBe('api');
    expect(settings?.algorithms).toEqual(['HS256']);
    const source = settings?.keySource;
    expect(source?.kind).toBe('secret');
    if (source?.kind !== 'secret') throw new Error('expected a secret key source');
    expect(source.secret.reveal()).toBe(secret);
    expect(source.key.export().toString()).toBe(secret);
  });

  it('when the secret is 31 bytes it is refused by name; 32 bytes are taken outside production', () => {
    const { settings, problems } = parse({}, { JWT_SECRET: 'a'.repeat(31) });
    expect(settings).toBeNull();
    expect(problems).toEqual(['JWT_SECRET: must be at least 32 bytes']);
    expect(parse({}, { JWT_SECRET: 'a'.repeat(32) }).problems).toEqual([]);
  });

  it('when a production secret is weak, the strength rule names it and not its value', () => {
    const weak = 'a'.repeat(40);
    const { problems } = parse(named, { JWT_SECRET: weak }, true);
    expect(problems).toEqual([
      'JWT_SECRET: too weak or a placeholder (production needs 32+ random bytes)',
    ]);
    expect(parse({}, { JWT_SECRET: weak }).problems).toEqual([]);
  });

  it.each([
    [
      { JWT_JWKS_URI: 'https://i.example/jwks' },
      { JWT_SECRET: strong() },
      'JWT_JWKS_URI, JWT_SECRET',
    ],
    [{}, { JWT_PUBLIC_KEY: RSA, JWT_SECRET: strong() }, 'JWT_PUBLIC_KEY, JWT_SECRET'],
    [
      { JWT_JWKS_URI: 'https://i.example/jwks' },
      { JWT_PUBLIC_KEY: RSA },
      'JWT_JWKS_URI, JWT_PUBLIC_KEY',
    ],
  ])('when two key sources are set, both are named', (vars, secrets, names) => {
    const { settings, problems } = parse(vars, secrets);
    expect(settings).toBeNull();
    expect(problems).toEqual([`${names}: set exactly one JWT key source`]);
  });

  it('when a JWKS URI is http, production refuses it and development takes it', () => {
    const http = { ...named, JWT_JWKS_URI: 'http://i.example/jwks' };
    expect(parse(http, {}, true).problems).toEqual(['JWT_JWKS_URI: must use https in production']);
    const { settings, problems } = parse(http);
    expect(problems).toEqual([]);
    expect(settings?.keySource).toEqual({ kind: 'jwks', uri: 'http://i.example/jwks' });
    expect(settings?.algorithms).toEqual(['RS256']);
    expect(parse({ ...http, JWT_JWKS_URI: 'https://i.example/jwks' }, {}, true).problems).toEqual(
      [],
    );
  });

  it('when a public key is given, its type sets the default algorithm', () => {
    expect(parse({}, { JWT_PUBLIC_KEY: RSA }).settings?.algorithms).toEqual(['RS256']);
    expect(parse({}, { JWT_PUBLIC_KEY: EC }).settings?.algorithms).toEqual(['ES256']);
    expect(parse({}, { JWT_PUBLIC_KEY: EC }).settings?.keySource.kind).toBe('public-key');
  });

  it('when the public key is not PEM, it is refused by name only', () => {
    const { settings, problems } = parse(
      { JWT_ALGORITHMS: 'RS256' },
      { JWT_PUBLIC_KEY: 'not-a-key' },
    );
    expect(settings).toBeNull();
    expect(problems).toEqual(['JWT_PUBLIC_KEY: not a PEM public key']);
  });

  it.each(['none', 'HS256,none', 'hs256', ','])(
    'when JWT_ALGORITHMS is %s, it is refused',
    (value) => {
      const { settings, problems } = parse({ JWT_ALGORITHMS: value }, { JWT_SECRET: strong() });
      expect(settings?.algorithms).toEqual([]);
      expect(problems).toEqual([`JWT_ALGORITHMS: allowed values are ${JWT_ALGORITHMS.join(', ')}`]);
    },
  );

  it('when JWT_ALGORITHMS mixes HS with asymmetric algorithms, it is refused', () => {
    const { problems } = parse({ JWT_ALGORITHMS: 'HS256,RS256' }, { JWT_SECRET: strong() });
    expect(problems).toEqual(['JWT_ALGORITHMS: do not mix HS algorithms with asymmetric ones']);
  });

  it('when JWT_ALGORITHMS does not fit the key source, it is refused', () => {
    const mismatch = ['JWT_ALGORITHMS: do not match the configured key source'];
    expect(parse({ JWT_ALGORITHMS: 'RS256' }, { JWT_SECRET: strong() }).problems).toEqual(mismatch);
    expect(parse({ JWT_ALGORITHMS: 'HS256' }, { JWT_PUBLIC_KEY: RSA }).problems).toEqual(mismatch);
    expect(parse({ JWT_ALGORITHMS: 'HS256' }).problems).toEqual(mismatch);
  });

  it('when JWT_ALGORITHMS fits the key source, every listed algorithm is kept', () => {
    expect(
      parse({ JWT_ALGORITHMS: 'HS256,HS512' }, { JWT_SECRET: strong() }).settings?.algorithms,
    ).toEqual(['HS256', 'HS512']);
    expect(
      parse({ JWT_ALGORITHMS: 'RS256,PS256' }, { JWT_PUBLIC_KEY: RSA }).settings?.algorithms,
    ).toEqual(['RS256', 'PS256']);
  });

  it('when the key source is unusable, the algorithms are not checked against it', () => {
    expect(parse({ JWT_ALGORITHMS: 'HS256' }, { JWT_PUBLIC_KEY: 'x' }).problems).toEqual([
      'JWT_PUBLIC_KEY: not a PEM public key',
    ]);
  });

  it('when token types are listed, they are lower-cased and lose one application/ prefix', () => {
    const { settings } = parse({ JWT_TOKEN_TYPES: 'Application/AT+JWT, jwt, x-application/jwt' });
    expect(settings?.tokenTypes).toEqual(['at+jwt', 'jwt', 'x-application/jwt']);
  });

  it.each([
    ['HS256', { JWT_SECRET: strong() }],
    ['HS384', { JWT_SECRET: strong() }],
    ['HS512', { JWT_SECRET: strong() }],
    ['RS256', { JWT_PUBLIC_KEY: RSA }],
    ['RS384', { JWT_PUBLIC_KEY: RSA }],
    ['RS512', { JWT_PUBLIC_KEY: RSA }],
    ['PS256', { JWT_PUBLIC_KEY: RSA }],
    ['PS384', { JWT_PUBLIC_KEY: RSA }],
    ['PS512', { JWT_PUBLIC_KEY: RSA }],
    ['ES256', { JWT_PUBLIC_KEY: EC }],
    ['ES384', { JWT_PUBLIC_KEY: EC }],
    ['ES512', { JWT_PUBLIC_KEY: EC }],
  ])('when JWT_ALGORITHMS is %s with a key source of its family, it is taken', (alg, secrets) => {
    const { settings, problems } = parse({ JWT_ALGORITHMS: alg }, secrets);
    expect(problems).toEqual([]);
    expect(settings?.algorithms).toEqual([alg]);
  });

  it('when JWT_ALGORITHMS is refused, the message lists exactly the twelve allowed names', () => {
    expect(parse({ JWT_ALGORITHMS: 'none' }).problems).toEqual([
      'JWT_ALGORITHMS: allowed values are HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512',
    ]);
  });
});

describe('jwtEnv', () => {
  const check = (vars: Record<string, string>): boolean => z.object(jwtEnv).safeParse(vars).success;

  it('when JWT_MAX_TOKEN_LIFETIME is 60 s to 24 h it is taken; 59 and 86401 are refused', () => {
    expect(check({ JWT_MAX_TOKEN_LIFETIME: '59' })).toBe(false);
    expect(check({ JWT_MAX_TOKEN_LIFETIME: '60' })).toBe(true);
    expect(check({ JWT_MAX_TOKEN_LIFETIME: '86400' })).toBe(true);
    expect(check({ JWT_MAX_TOKEN_LIFETIME: '86401' })).toBe(false);
    expect(check({ JWT_MAX_TOKEN_LIFETIME: '60.5' })).toBe(false);
    expect(parse({ JWT_MAX_TOKEN_LIFETIME: '600' }).settings?.maxLifetimeSeconds).toBe(600);
  });

  it('when the issuer or audience is set empty, it is refused; one character is taken', () => {
    expect(check({ JWT_ISSUER: '' })).toBe(false);
    expect(check({ JWT_AUDIENCE: '' })).toBe(false);
    expect(check({ JWT_ISSUER: 'i', JWT_AUDIENCE: 'a' })).toBe(true);
    expect(check({ JWT_ISSUER: 'https://issuer.example', JWT_AUDIENCE: 'api' })).toBe(true);
  });

  it.each(['ftp://i.example/jwks', 'xhttps://i.example/jwks', 'https2://i.example/jwks', 'jwks'])(
    'when JWT_JWKS_URI is %s (not an http(s) URL), it is refused',
    (uri) => {
      expect(check({ JWT_JWKS_URI: uri })).toBe(false);
    },
  );

  it('when JWT_JWKS_URI is an http or https URL, it is taken', () => {
    expect(check({ JWT_JWKS_URI: 'https://i.example/jwks' })).toBe(true);
    expect(check({ JWT_JWKS_URI: 'http://i.example/jwks' })).toBe(true);
  });
});
