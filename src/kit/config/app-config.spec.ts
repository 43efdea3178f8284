import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { AppConfig } from './app-config';
import { ConfigError } from './config-error';
import { Secret } from './secret';
import { scrub } from './secret-source';

const strong = (): string => randomBytes(32).toString('base64url');

function refusal(env: Record<string, string>): string {
  try {
    AppConfig.fromEnv(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('AppConfig', () => {
  const production = {
    NODE_ENV: 'production',
    JWT_ISSUER: 'https://issuer.example',
    JWT_AUDIENCE: 'api',
    API_KEY_PEPPER: strong(),
  };

  it('when production has no key source, it refuses and names the variables', () => {
    expect(refusal(production)).toContain('JWT_JWKS_URI, JWT_PUBLIC_KEY, JWT_SECRET');
  });

  it('when production lacks issuer and audience, it refuses naming both', () => {
    const message = refusal({
      NODE_ENV: 'production',
      JWT_SECRET: strong(),
      API_KEY_PEPPER: strong(),
    });
    expect(message).toContain('JWT_ISSUER');
    expect(message).toContain('JWT_AUDIENCE');
  });

  it('when production lacks the pepper, it refuses', () => {
    const { API_KEY_PEPPER: _omit, ...env } = production;
    expect(refusal({ ...env, JWT_SECRET: strong() })).toContain('API_KEY_PEPPER');
  });

  it.each(['none', 'HS256,none', 'NONE'])('when JWT_ALGORITHMS is %s, it refuses', (algorithms) => {
    expect(refusal({ ...production, JWT_SECRET: strong(), JWT_ALGORITHMS: algorithms })).toContain(
      'JWT_ALGORITHMS',
    );
  });

  it('when JWT_ALGORITHMS mixes HS with asymmetric algorithms, it refuses', () => {
    expect(
      refusal({ ...production, JWT_SECRET: strong(), JWT_ALGORITHMS: 'HS256,RS256' }),
    ).toContain('do not mix HS');
  });

  it('when the HS secret is shorter than 32 bytes, it refuses without printing it', () => {
    const secret = 'short-secret-canary-value';
    const message = refusal({ NODE_ENV: 'test', JWT_SECRET: secret });
    expect(message).toContain('JWT_SECRET: must be at least 32 bytes');
    expect(message).not.toContain(secret);
  });

  it('when a production secret is a placeholder, it refuses without printing it', () => {
    const secret = 'changeme-changeme-changeme-changeme-1234';
    const message = refusal({ ...production, JWT_SECRET: secret });
    expect(message).toContain('JWT_SECRET: too weak');
    expect(message).not.toContain(secret);
  });

  it('when two key sources are set, it refuses', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(refusal({ NODE_ENV: 'test', JWT_SECRET: strong(), JWT_PUBLIC_KEY: pem })).toContain(
      'set exactly one JWT key source',
    );
  });

  it('when a value is malformed, the message names the variable and not the value', () => {
    const message = refusal({ NODE_ENV: 'test', PORT: 'port-canary-xyz', JWT_SECRET: strong() });
    expect(message).toContain('PORT');
    expect(message).not.toContain('port-canary-xyz');
  });

  it('when NAME and NAME_FILE are both set, it refuses', () => {
    expect(
      refusal({ NODE_ENV: 'test', JWT_SECRET: strong(), JWT_SECRET_FILE: '/nonexistent' }),
    ).toContain('JWT_SECRET, JWT_SECRET_FILE');
  });

  it('when a secret comes from NAME_FILE, it is read and redacted', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lp-config-'));
    const secret = strong();
    writeFileSync(join(dir, 'jwt'), `${secret}\n`);
    const config = AppConfig.fromEnv({ NODE_ENV: 'test', JWT_SECRET_FILE: join(dir, 'jwt') });
    expect(config.jwt.keySource.kind).toBe('secret');
    expect(config.jwt.algorithms).toEqual(['HS256']);
    expect(config.secrets().map((s) => s.reveal())).toContain(secret);
    expect(inspect(config)).not.toContain(secret);
    expect(JSON.stringify(config)).not.toContain(secret);
  });

  it('when the database URL has a password, the password is a configured secret', () => {
    const config = AppConfig.fromEnv({
      NODE_ENV: 'test',
      JWT_SECRET: strong(),
      DATABASE_URL: 'postgres://app:db-password-canary@127.0.0.1:5432/test',
    });
    expect(config.secrets().map((s) => s.reveal())).toContain('db-password-canary');
  });

  it('when the downstream URL carries credentials or a query, it refuses without quoting it', () => {
    for (const url of ['http://user:url-pass-canary@127.0.0.1:4000', 'http://h:1/?k=q-canary']) {
      const message = refusal({
        NODE_ENV: 'test',
        JWT_SECRET: strong(),
        DOWNSTREAM_BASE_URL: url,
        DOWNSTREAM_API_KEY: strong(),
      });
      expect(message).toContain('DOWNSTREAM_BASE_URL');
      expect(message).not.toContain('canary');
    }
  });

  it('when DATABASE_URL and REDIS_URL come from files, they are read and their passwords are secrets', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lp-urls-'));
    writeFileSync(join(dir, 'db'), 'postgres://app:db-file-canary@db:5432/app\n');
    writeFileSync(join(dir, 'redis'), 'redis://:redis-file-canary@redis:6379/0\n');
    const config = AppConfig.fromEnv({
      NODE_ENV: 'test',
      JWT_SECRET: strong(),
      DATABASE_URL_FILE: join(dir, 'db'),
      REDIS_URL_FILE: join(dir, 'redis'),
    });
    expect(config.database.url.reveal()).toBe('postgres://app:db-file-canary@db:5432/app');
    expect(config.redis.url?.reveal()).toBe('redis://:redis-file-canary@redis:6379/0');
    const secrets = config.secrets().map((s) => s.reveal());
    expect(secrets).toEqual(expect.arrayContaining(['db-file-canary', 'redis-file-canary']));
    expect(inspect(config)).not.toContain('canary');
  });

  it('when a NAME_FILE ends with CRLF, secrets and URLs alike lose exactly that line ending', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lp-crlf-'));
    const secret = strong();
    writeFileSync(join(dir, 'jwt'), `${secret}\r\n`);
    writeFileSync(join(dir, 'db'), 'postgres://app:crlf-canary@db:5432/app\r\n');
    const config = AppConfig.fromEnv({
      NODE_ENV: 'test',
      JWT_SECRET_FILE: join(dir, 'jwt'),
      DATABASE_URL_FILE: join(dir, 'db'),
    });
    expect(config.jwt.keySource.kind === 'secret' && config.jwt.keySource.secret.reveal()).toBe(
      secret,
    );
    expect(config.database.url.reveal()).toBe('postgres://app:crlf-canary@db:5432/app');
  });

  it('when a secret file and a URL file are empty, both are refused at once by name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lp-empty-'));
    writeFileSync(join(dir, 'empty'), '\n');
    const message = refusal({
      NODE_ENV: 'test',
      JWT_SECRET_FILE: join(dir, 'empty'),
      DATABASE_URL_FILE: join(dir, 'empty'),
    });
    expect(message).toContain('JWT_SECRET: must not be empty');
    expect(message).toContain('DATABASE_URL: must not be empty');
  });

  it('when REDIS_URL and REDIS_URL_FILE are both set, or the file is missing, it refuses without a value', () => {
    const both = refusal({
      NODE_ENV: 'test',
      JWT_SECRET: strong(),
      REDIS_URL: 'redis://:both-canary@127.0.0.1:6379',
      REDIS_URL_FILE: '/nonexistent',
    });
    expect(both).toContain('REDIS_URL, REDIS_URL_FILE');
    expect(both).not.toContain('both-canary');
    expect(
      refusal({ NODE_ENV: 'test', JWT_SECRET: strong(), DATABASE_URL_FILE: '/nonexistent/db' }),
    ).toContain('DATABASE_URL_FILE: the file cannot be read');
  });

  it('when no key source is set outside production, the development issuer is used and parsing writes nothing', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'lp-dev-')), 'keys');
    const config = AppConfig.fromEnv({ NODE_ENV: 'development', DEV_KEYS_DIR: dir });
    expect(config.jwt.keySource).toEqual({ kind: 'dev-issuer', dir });
    expect(config.apiKeys.pepper).toBeNull();
    expect(config.devKeys).toEqual({ dir });
    expect(config.jwt.algorithms).toEqual(['RS256']);
    expect(config.docs.enabled).toBe(true);
    expect(existsSync(dir)).toBe(false);
  });

  it('when a key source and a pepper are set, no development key material is asked for', () => {
    const config = AppConfig.fromEnv({
      NODE_ENV: 'development',
      JWT_SECRET: strong(),
      API_KEY_PEPPER: strong(),
    });
    expect(config.devKeys).toBeNull();
  });
});

describe('AppConfig HTTP server settings', () => {
  const base = { NODE_ENV: 'test', JWT_SECRET: strong(), API_KEY_PEPPER: strong() };

  it('when nothing is set, the bounds are 10 s for headers, 30 s per request, 5 s keep-alive, 1000 connections', () => {
    expect(AppConfig.fromEnv(base).http.server).toEqual({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5000,
      maxConnections: 1000,
    });
  });

  it('when the variables are set, the settings carry them', () => {
    const config = AppConfig.fromEnv({
      ...base,
      HTTP_HEADERS_TIMEOUT_MS: '2000',
      HTTP_REQUEST_TIMEOUT_MS: '4000',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '65000',
      HTTP_MAX_CONNECTIONS: '50',
    });
    expect(config.http.server).toEqual({
      headersTimeoutMs: 2000,
      requestTimeoutMs: 4000,
      keepAliveTimeoutMs: 65_000,
      maxConnections: 50,
    });
  });

  it('when the headers timeout exceeds the request timeout, it refuses naming both', () => {
    expect(
      refusal({ ...base, HTTP_HEADERS_TIMEOUT_MS: '20000', HTTP_REQUEST_TIMEOUT_MS: '10000' }),
    ).toContain('HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS');
  });

  it.each([
    ['HTTP_HEADERS_TIMEOUT_MS', '0'],
    ['HTTP_REQUEST_TIMEOUT_MS', '999999999'],
    ['HTTP_KEEP_ALIVE_TIMEOUT_MS', 'soon'],
    ['HTTP_MAX_CONNECTIONS', '0'],
  ])('when %s is %s, it refuses naming the variable', (name, value) => {
    expect(refusal({ ...base, [name]: value })).toMatch(new RegExp(`^  - ${name}:`, 'm'));
  });
});

describe('AppConfig log format', () => {
  const keys = { JWT_SECRET: strong(), API_KEY_PEPPER: strong() };
  const production = { ...keys, NODE_ENV: 'production', JWT_ISSUER: 'https://i.example' };
  const format = (env: Record<string, string>): string =>
    AppConfig.fromEnv({ ...keys, ...env }).log.format;

  it('when LOG_FORMAT is unset, development is pretty and test and production are JSON', () => {
    expect(format({ NODE_ENV: 'development' })).toBe('pretty');
    expect(format({})).toBe('pretty');
    expect(format({ NODE_ENV: 'test' })).toBe('json');
    expect(format({ ...production, JWT_AUDIENCE: 'api' })).toBe('json');
  });

  it('when development sets LOG_FORMAT=json, the log stays JSON', () => {
    expect(format({ NODE_ENV: 'development', LOG_FORMAT: 'json' })).toBe('json');
  });

  it.each(['test', 'production'])(
    'when NODE_ENV=%s asks for LOG_FORMAT=pretty, it refuses',
    (nodeEnv) => {
      expect(
        refusal({ ...production, JWT_AUDIENCE: 'api', NODE_ENV: nodeEnv, LOG_FORMAT: 'pretty' }),
      ).toContain('LOG_FORMAT: pretty is for development only (NODE_ENV=development)');
    },
  );
});

describe('scrub', () => {
  it('when the config is loaded, secret variables and their _FILE paths leave the environment', () => {
    const env: NodeJS.ProcessEnv = {
      JWT_SECRET: strong(),
      API_KEY_PEPPER_FILE: '/run/secrets/pepper',
      DATABASE_URL: 'postgres://app:pw@db/app',
      REDIS_URL: 'redis://:pw@cache:6379',
      DOWNSTREAM_API_KEY: 'k',
      PORT: '3000',
    };
    scrub(env);
    expect(env).toEqual({ PORT: '3000' });
  });
});

describe('AppConfig.warnings', () => {
  const publicKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .publicKey.export({ type: 'spki', format: 'pem' })
    .toString();
  const base = {
    JWT_ISSUER: 'https://issuer.example',
    JWT_AUDIENCE: 'api',
    JWT_PUBLIC_KEY: publicKey,
    DATABASE_URL: ':memory:',
  };
  const pepperFile = (): string => {
    const file = join(mkdtempSync(join(tmpdir(), 'lp-warn-')), 'pepper');
    writeFileSync(file, strong(), { mode: 0o600 });
    return file;
  };

  it('when production gets URLs with passwords plainly, each is named once; the public key is not', () => {
    const password = strong();
    const config = AppConfig.fromEnv({
      ...base,
      NODE_ENV: 'production',
      API_KEY_PEPPER_FILE: pepperFile(),
      DATABASE_URL: `postgres://app:${password}@db/app`,
      REDIS_URL: `redis://:${password}@cache:6379`,
    });
    expect(config.warnings.map((w) => w.split(' ')[0])).toEqual(['DATABASE_URL', 'REDIS_URL']);
    expect(config.warnings.join('\n')).not.toContain(password);
  });

  it('when production gets its secrets as NAME_FILE and URLs without passwords, there is none', () => {
    const config = AppConfig.fromEnv({
      ...base,
      NODE_ENV: 'production',
      API_KEY_PEPPER_FILE: pepperFile(),
      REDIS_URL: 'redis://cache:6379',
    });
    expect(config.warnings).toEqual([]);
  });

  it('when outside production secrets are plain variables, there is none', () => {
    const config = AppConfig.fromEnv({ ...base, NODE_ENV: 'test', API_KEY_PEPPER: strong() });
    expect(config.warnings).toEqual([]);
  });
});

describe('Secret', () => {
  it('when turned into text by accident, it prints [REDACTED]; reveal() gives the value', () => {
    const secret = new Secret('the-raw-value');
    expect(String(secret)).toBe('[REDACTED]');
    // eslint-disable-next-line @typescript-eslint/restrict-template-expressions -- the point of the test
    expect(`${secret}`).toBe('[REDACTED]');
    expect(JSON.stringify({ secret })).toBe('{"secret":"[REDACTED]"}');
    expect(inspect(secret)).toBe('[REDACTED]');
    expect(secret.reveal()).toBe('the-raw-value');
  });
});
