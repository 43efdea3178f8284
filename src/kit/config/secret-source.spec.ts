import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkStrength,
  plainSecretWarnings,
  readSecrets,
  scrub,
  SECRET_VARIABLES,
  URL_VARIABLES,
  urlPassword,
} from './secret-source';

const NAMES = [...SECRET_VARIABLES, ...URL_VARIABLES];
const strong = (): string => randomBytes(32).toString('base64url');

/** A fresh file holding exactly `content`, for NAME_FILE. */
function file(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'lp-secret-source-')), 'value');
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

function read(
  input: Record<string, string>,
): ReturnType<typeof readSecrets> & { problems: string[] } {
  const problems: string[] = [];
  return { ...readSecrets(input, problems), problems };
}

describe('readSecrets', () => {
  it('when the variables are named, the secret and URL names are exactly these', () => {
    expect(SECRET_VARIABLES).toEqual([
      'JWT_SECRET',
      'JWT_PUBLIC_KEY',
      'API_KEY_PEPPER',
      'API_KEY_PEPPER_PREVIOUS',
      'DOWNSTREAM_API_KEY',
    ]);
    expect(URL_VARIABLES).toEqual(['DATABASE_URL', 'REDIS_URL']);
  });

  it.each(SECRET_VARIABLES)(
    'when %s is given plainly, it leaves the environment for the secrets',
    (name) => {
      const value = strong();
      const { env, secrets, problems } = read({ [name]: value, PORT: '3000' });
      expect(problems).toEqual([]);
      expect(env).toEqual({ PORT: '3000' });
      expect(secrets[name]).toBe(value);
    },
  );

  it.each(SECRET_VARIABLES)(
    'when %s_FILE is given, the file is the secret and neither name stays',
    (name) => {
      const value = strong();
      const { env, secrets, problems } = read({ [`${name}_FILE`]: file(`${value}\n`) });
      expect(problems).toEqual([]);
      expect(env).toEqual({});
      expect(secrets).toEqual({ [name]: value });
    },
  );

  it.each(URL_VARIABLES)(
    'when %s_FILE is given, the URL moves into the environment and is no secret',
    (name) => {
      const url = `postgres://app:${strong()}@db:5432/app`;
      const { env, secrets, problems } = read({ [`${name}_FILE`]: file(`${url}\n`) });
      expect(problems).toEqual([]);
      expect(env).toEqual({ [name]: url });
      expect(secrets).toEqual({});
    },
  );

  it.each([
    ['one LF', 'v\n', 'v'],
    ['one CRLF', 'v\r\n', 'v'],
    ['two LF', 'v\n\n', 'v\n'],
    ['an inner LF', 'a\nb\n', 'a\nb'],
    ['a lone CR', 'v\r', 'v\r'],
    ['no line ending', 'v', 'v'],
    ['spaces and tabs', ' \tv \t\n', ' \tv \t'],
  ])('when the file ends with %s, exactly one line ending is cut', (_case, content, expected) => {
    const { secrets, problems } = read({ JWT_SECRET_FILE: file(content) });
    expect(problems).toEqual([]);
    expect(secrets.JWT_SECRET).toBe(expected);
  });

  it.each(NAMES)('when %s and its _FILE are both set, it refuses by name only', (name) => {
    const value = strong();
    const { env, secrets, problems } = read({ [name]: value, [`${name}_FILE`]: '/nonexistent' });
    expect(problems).toEqual([`${name}, ${name}_FILE: set one of them, not both`]);
    expect(problems.join('\n')).not.toContain(value);
    expect({ ...env, ...secrets }).toHaveProperty(name, value);
    expect(env).not.toHaveProperty(`${name}_FILE`);
  });

  it.each(NAMES)('when %s_FILE cannot be read, it refuses naming the variable', (name) => {
    const { env, problems } = read({ [`${name}_FILE`]: '/nonexistent/secret' });
    expect(problems).toEqual([`${name}_FILE: the file cannot be read`]);
    expect(env).toEqual({});
  });

  it.each(NAMES)('when %s is empty, plain or from a file, it is refused and dropped', (name) => {
    for (const input of [{ [name]: '' }, { [`${name}_FILE`]: file('\n') }]) {
      const { env, secrets, problems } = read(input);
      expect(problems).toEqual([`${name}: must not be empty`]);
      expect(env).toEqual({});
      expect(secrets[name as keyof typeof secrets]).toBeUndefined();
    }
  });

  it('when other variables are set, they pass through untouched and the input is not changed', () => {
    const input = { PORT: '3000', SOME_FILE: '/x', JWT_SECRET: 'a' };
    const { env, problems } = read(input);
    expect(problems).toEqual([]);
    expect(env).toEqual({ PORT: '3000', SOME_FILE: '/x' });
    expect(input).toEqual({ PORT: '3000', SOME_FILE: '/x', JWT_SECRET: 'a' });
  });
});

describe('scrub', () => {
  it('when called, every secret and URL variable and its _FILE path leave, nothing else', () => {
    const env: NodeJS.ProcessEnv = { PORT: '3000', OTHER_FILE: '/x' };
    for (const name of NAMES) {
      env[name] = 'v';
      env[`${name}_FILE`] = '/run/secrets/v';
    }
    scrub(env);
    expect(env).toEqual({ PORT: '3000', OTHER_FILE: '/x' });
  });
});

describe('plainSecretWarnings', () => {
  it('when each secret is a plain variable, each is named once, the public key is not', () => {
    const input: Record<string, string> = {};
    for (const name of SECRET_VARIABLES) input[name] = strong();
    const warnings = plainSecretWarnings(input);
    expect(warnings).toEqual(
      ['JWT_SECRET', 'API_KEY_PEPPER', 'API_KEY_PEPPER_PREVIOUS', 'DOWNSTREAM_API_KEY'].map(
        (name) =>
          `${name} is a plain environment variable: its value stays readable in /proc/<pid>/environ; give it as ${name}_FILE`,
      ),
    );
    for (const name of SECRET_VARIABLES) expect(warnings.join('\n')).not.toContain(input[name]);
  });

  it('when URLs carry passwords, they are named; without one, or given as files, none is', () => {
    const password = strong();
    expect(
      plainSecretWarnings({
        DATABASE_URL: `postgres://app:${password}@db/app`,
        REDIS_URL: `redis://:${password}@cache:6379`,
      }).map((w) => w.split(' ')[0]),
    ).toEqual(['DATABASE_URL', 'REDIS_URL']);
    expect(
      plainSecretWarnings({
        DATABASE_URL: 'postgres://app@db/app',
        REDIS_URL: 'redis://cache:6379',
        JWT_SECRET_FILE: '/run/secrets/jwt',
      }),
    ).toEqual([]);
  });
});

describe('urlPassword', () => {
  it.each([
    ['postgres://app:pw@db:5432/app', 'pw'],
    ['redis://:pw@cache:6379/0', 'pw'],
    ['Postgres://app:pw@db/app', 'pw'],
    ['redis+tls://:pw@cache', 'pw'],
    ['a.b-c9://:pw@h', 'pw'],
    ['postgres://app:p%40ss%2Fw@db/app', 'p@ss/w'],
    [' \tpostgres://app:pw@db/app', 'pw'],
    ['\u0001redis://:pw@cache', 'pw'],
  ])('when the URL is %s, the password is %s', (url, password) => {
    expect(urlPassword(url)).toBe(password);
  });

  it.each([
    ['unset', undefined],
    ['empty', ''],
    ['a file path', '/var/lib/app.db'],
    ['in-memory', ':memory:'],
    ['a user only', 'postgres://app@db/app'],
    ['an empty password', 'postgres://app:@db/app'],
    ['no scheme', 'db:pw@host'],
    ['a scheme not at the start', 'x postgres://app:pw@db/app'],
    ['a scheme starting with a digit', '9db://app:pw@db/app'],
    ['a bad escape', 'postgres://app:%E0%A4%A@db/app'],
    ['no URL at all', 'postgres://app:pw@[bad'],
  ])('when the value is %s, there is no password', (_case, value) => {
    expect(urlPassword(value)).toBeUndefined();
  });
});

describe('checkStrength', () => {
  const problems = (value: string, production = true): string[] => {
    const found: string[] = [];
    checkStrength('SOME_SECRET', value, production, found);
    return found;
  };
  /** 32 bytes, 16 distinct characters, no placeholder word. */
  const sound = 'abcdefghijklmnopabcdefghijklmnop';

  it('when the value is 32 bytes of 12+ distinct characters, production takes it', () => {
    expect(problems(sound)).toEqual([]);
    expect(problems(strong())).toEqual([]);
    expect(problems('abcdefghijkl'.repeat(3))).toEqual([]);
  });

  it.each([
    ['31 bytes', sound.slice(1)],
    ['11 distinct characters', 'abcdefghijk'.repeat(3)],
    ['a placeholder word', `${sound}changeme`],
    ['change-me', `${sound}change-me`],
    ['change.me', `${sound}change.me`],
    ['CHANGE_ME in capitals', `${sound}CHANGE_ME`],
    ['placeholder', `${sound}placeholder`],
    ['example', `${sound}example`],
    ['dummy', `${sound}dummy`],
    ['yoursecret', `${sound}yoursecret`],
    ['your-secret', `${sound}your-secret`],
    ['your_secret', `${sound}your_secret`],
  ])('when the value has %s, production refuses it by name only', (_case, value) => {
    const found = problems(value);
    expect(found).toEqual([
      'SOME_SECRET: too weak or a placeholder (production needs 32+ random bytes)',
    ]);
    expect(found.join('\n')).not.toContain(value);
  });

  it('when 32 bytes come from fewer characters, bytes count, not characters', () => {
    expect(problems('éèêëàâäôöûüùçîïœ')).toEqual([]);
    expect(problems('éèêëàâäôöûüùçîï')).toHaveLength(1);
  });

  it('when the words secret or password are only part of a long value, it is taken', () => {
    expect(problems(`secret${sound}`)).toEqual([]);
    expect(problems(`${sound}secret`)).toEqual([]);
    expect(problems(`password${sound}`)).toEqual([]);
    expect(problems(`${sound}password`)).toEqual([]);
    expect(problems(`${sound}change--me`)).toEqual([]);
    expect(problems(`${sound}your--secret`)).toEqual([]);
  });

  it('when outside production, any value goes', () => {
    expect(problems('changeme', false)).toEqual([]);
    expect(problems('', false)).toEqual([]);
  });
});
