import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DevKeyMaterial } from '../auth/dev-key-material';
import { AppConfig } from '../config/app-config';
import { Redactor } from './redactor';
import { RequestContext } from './request-context';
import { specRedactor } from './redactor.spec-support';

const PEM_LABEL = ['PRIVATE', 'KEY'].join(' ');
const PEM_BEGIN = `-----BEGIN ${PEM_LABEL}-----`;
const PEM_END = `-----END ${PEM_LABEL}-----`;

describe('Redactor', () => {
  const jwtSecret = randomBytes(32).toString('base64url');
  const downstreamKey = `dk_${randomBytes(16).toString('hex')}`;
  const redactor = specRedactor(downstreamKey, jwtSecret);

  it('when text holds a configured secret, the exact value is masked', () => {
    expect(redactor.redact(`key=${downstreamKey}; jwt=${jwtSecret}`)).toBe(
      'key=[REDACTED]; jwt=[REDACTED]',
    );
  });

  it("when text holds the current request's credential, it is masked inside that request only", () => {
    const credential = `opaque${randomBytes(8).toString('hex')}`;
    const inside = RequestContext.run([credential], () => redactor.redact(`saw ${credential}`));
    expect(inside).toBe('saw [REDACTED]');
    expect(redactor.redact(`saw ${credential}`)).toBe(`saw ${credential}`);
  });

  it.each([
    [
      'a JWT',
      'token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl end',
      'token [REDACTED] end',
    ],
    ['an API key', 'got lp_live_AbC123_xyzXYZ0123456789abcdefABC end', 'got [REDACTED] end'],
    ['a Bearer header', 'Authorization: Bearer abc.def-ghi', 'Authorization: [REDACTED]'],
    ['a Basic header', 'authorization: basic dXNlcjpwYXNz', 'authorization: [REDACTED]'],
    [
      'a PEM block',
      // A real PEM shape, built at run time: no key material (not even a fake) sits in git.
      `k=${PEM_BEGIN}\n${randomBytes(48).toString('base64')}\n${PEM_END} done`,
      'k=[REDACTED] done',
    ],
    [
      'a credential query value',
      'GET /x?a=1&api_key=s3cr3t&b=2',
      'GET /x?a=1&api_key=[REDACTED]&b=2',
    ],
    ['URL userinfo', 'postgres://app:pw123@db:5432/x', 'postgres://app:[REDACTED]@db:5432/x'],
  ])('when text holds %s, it is masked', (_name, input, output) => {
    expect(redactor.redact(input)).toBe(output);
  });

  it('when containsSecret answers, it is true exactly when redact() would change the text', () => {
    const credential = `opaque${randomBytes(8).toString('hex')}`;
    const texts = [
      'no-store',
      "default-src 'self';frame-ancestors 'none'",
      'application/json; charset=utf-8',
      'W/"2-l9Fw4VUO7kr8CvBlt4zaMCqXZ0w"',
      `x ${jwtSecret} y`,
      `x${downstreamKey}`,
      `seen ${credential}`,
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl',
      'lp_test_abc',
      'Bearer abc',
      'NEGOTIATE abc',
      '-----BEGIN PUBLIC KEY-----',
      '-----begin public key-----',
      '/cb?token=x',
      '/cb?token=[REDACTED]',
      'https://u:p@host',
      'Bearer',
      'eyJ',
    ];
    RequestContext.run([credential], () => {
      for (const text of texts) {
        expect([text, redactor.containsSecret(text)]).toEqual([
          text,
          redactor.redact(text) !== text,
        ]);
      }
    });
  });

  it('when text holds no secret, it is returned unchanged', () => {
    const text = 'GET /items/42 completed in 3 ms';
    expect(redactor.redact(text)).toBe(text);
    expect(redactor.containsSecret(text)).toBe(false);
  });

  describe('on long or crafted text', () => {
    const MAX = Redactor.MAX_LENGTH;
    const MIB = 1024 * 1024;
    const fill = (unit: string, length = MIB): string =>
      unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
    const cut = (kept: string, dropped: number): string =>
      `${kept}[TRUNCATED: ${dropped} more characters]`;
    /** What redact() returns for text that holds nothing: its first MAX characters, marked. */
    const unchangedCut = (text: string): string => cut(text.slice(0, MAX), text.length - MAX);

    // One crafted input per pattern, each built to make a backtracking pattern rescan the text
    // from many start positions; each is 1 MiB, far past the cut, so `hasSecretShape` (which is
    // never cut) runs every pattern over all of it.
    const pem = (text: string): string => cut('[REDACTED]', text.length - MAX);
    /** A cut that would end inside `//user:pass` moves back to just after the `:`. */
    const openUserinfo = (text: string): string => {
      const colon = text.indexOf(':', text.lastIndexOf('//', MAX - 2)) + 1;
      return cut(text.slice(0, colon), text.length - colon);
    };
    it.each([
      ['a PEM header that never closes', `-----BEGIN ${fill('A')}`, false, unchangedCut],
      ['PEM headers that never close', fill('-----BEGIN A'), true, pem],
      ['a PEM block with no END line', `-----BEGIN A-----${fill('-----END A\n')}`, true, pem],
      ['JWT starts after every "-" and no "."', fill('eyJ-'), false, unchangedCut],
      ['JWT starts with no "."', fill('eyJ'), false, unchangedCut],
      ['"-" separated words ending in a "."', `${fill('a-')}.`, false, unchangedCut],
      ['API-key prefixes with no key', fill('lp_live_-'), false, unchangedCut],
      ['an auth scheme followed by whitespace only', `Bearer${fill(' ')}"`, false, unchangedCut],
      ['auth schemes with no credential', fill('Bearer \t"'), false, unchangedCut],
      ['credential query names with no "="', fill('&access_token'), false, unchangedCut],
      ['a URL password with no "@"', `//a:${fill('b')}`, false, openUserinfo],
      ['URL starts with no password', fill('//a:b:/'), false, unchangedCut],
      [
        'every start mixed',
        fill('eyJ-//a:-----BEGIN A Bearer  ?token lp_live_-'),
        false,
        openUserinfo,
      ],
    ])(
      'when %s (1 MiB) is redacted, every pattern finishes and the result is cut',
      (_name, text, shaped, expected) => {
        expect(Redactor.hasSecretShape(text)).toBe(shaped);
        expect(redactor.containsSecret(text)).toBe(shaped);
        expect(redactor.redact(text)).toBe(expected(text));
      },
    );

    it('when text is exactly the maximum, it is not cut', () => {
      const text = fill('a ', MAX);
      expect(redactor.redact(text)).toBe(text);
    });

    it('when a configured secret runs across the cut, none of it is kept', () => {
      const head = fill('x ', MAX - 5);
      const text = `${head}${downstreamKey}${fill(' y', MAX)}`;
      expect(redactor.redact(text)).toBe(cut(head, text.length - head.length));
    });

    it("when the request's credential runs across the cut, none of it is kept", () => {
      const credential = `opaque${randomBytes(8).toString('hex')}`;
      const head = fill('x ', MAX - 3);
      const text = `${head}${credential}${fill(' y', MAX)}`;
      const redacted = RequestContext.run([credential], () => redactor.redact(text));
      expect(redacted).toBe(cut(head, text.length - head.length));
    });

    it('when a secret shape runs across the cut, what is kept of it is masked', () => {
      const head = fill('x ', MAX - 30);
      const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
      const text = `${head}${jwt}${fill(' y', MAX)}`;
      expect(redactor.redact(text)).toBe(cut(`${head}[REDACTED]`, text.length - MAX));
    });

    it('when moving the cut back makes another credential run across it, the cut moves again', () => {
      const p = randomBytes(4).toString('hex');
      const q = randomBytes(4).toString('hex');
      const r = randomBytes(4).toString('hex');
      // [p q] ends 2 before the cut, [q r] runs across it; [p q] is checked first (the longer
      // list entry first), so only a second pass sees that it now runs across the moved cut.
      const head = fill('x ', MAX - 18);
      const text = `${head}${p}${q}${r}${fill(' y', MAX)}`;
      const redacted = RequestContext.run([`${p}${q}`, `${q}${r}`], () => redactor.redact(text));
      expect(redacted).toBe(cut(head, text.length - head.length));
    });

    it('when a credential starts exactly at the cut, the cut stays where it is', () => {
      const credential = `opaque${randomBytes(8).toString('hex')}`;
      const head = fill('x ', MAX);
      const text = `${head}${credential}`;
      const redacted = RequestContext.run([credential], () => redactor.redact(text));
      expect(redacted).toBe(cut(head, credential.length));
    });

    it('when a URL password reaches the cut and a new "//" starts right at it, the password is not kept', () => {
      const head = fill('x ', MAX - 23);
      const text = `${head}//user:${fill('p', 16)}//host${fill(' y', MAX)}`;
      const colon = head.length + 7;
      expect(redactor.redact(text)).toBe(cut(text.slice(0, colon), text.length - colon));
    });

    it('when a complete URL with a password lies before the cut, the cut stays at the maximum', () => {
      const head = `${fill('x ', MAX - 100)}https://user:pw@host/path `;
      const text = `${head}${fill(' y', MAX)}`;
      const kept = text.slice(0, MAX).replace('user:pw@', 'user:[REDACTED]@');
      expect(redactor.redact(text)).toBe(cut(kept, text.length - MAX));
    });

    it('when a credential ends exactly at the cut, it is masked and the cut stays', () => {
      const credential = `opaque${randomBytes(8).toString('hex')}`;
      const head = fill('x ', MAX - credential.length);
      const text = `${head}${credential}${fill(' y', MAX)}`;
      const redacted = RequestContext.run([credential], () => redactor.redact(text));
      expect(redacted).toBe(cut(`${head}[REDACTED]`, text.length - MAX));
    });

    it('when only the last character of a credential lies past the cut, the cut moves to its start', () => {
      const credential = `opaque${randomBytes(8).toString('hex')}`;
      const head = fill('x ', MAX - credential.length + 1);
      const text = `${head}${credential}${fill(' y', MAX)}`;
      const redacted = RequestContext.run([credential], () => redactor.redact(text));
      expect(redacted).toBe(cut(head, text.length - head.length));
    });

    it('when a credential occurs early and not at the cut, the cut stays at the maximum', () => {
      const credential = `opaque${randomBytes(8).toString('hex')}`;
      const text = `a ${credential} ${fill('x ', 2 * MAX)}`;
      const redacted = RequestContext.run([credential], () => redactor.redact(text));
      expect(redacted).toBe(
        cut(text.slice(0, MAX).replace(credential, '[REDACTED]'), text.length - MAX),
      );
    });

    it('when a JWT follows a "-" joined word, the word is kept and the JWT masked', () => {
      const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
      expect(redactor.redact(`token-${jwt} x-eyJ-y`)).toBe('token-[REDACTED] x-eyJ-y');
      expect(Redactor.hasSecretShape(`token-${jwt}`)).toBe(true);
      expect(Redactor.hasSecretShape('x-eyJ-y eyJ no dot')).toBe(false);
    });
  });

  it('when free text names an auth scheme as a word, it is not secret-shaped; a credential after one is', () => {
    for (const name of ['Basic widget', 'Bearer bonds', 'negotiate terms', 'Digest cover 2']) {
      expect(Redactor.hasSecretShape(name)).toBe(false);
    }
    const basic = Buffer.from(`user:${randomBytes(9).toString('hex')}`).toString('base64');
    expect(Redactor.hasSecretShape(`Basic  ${basic}`)).toBe(true);
    expect(Redactor.hasSecretShape(`Basic ${basic.slice(0, 15)}`)).toBe(false);
    expect(Redactor.hasSecretShape(`Basic ${basic.slice(0, 16)}`)).toBe(true);
    expect(Redactor.hasSecretShape(`Basic ${basic}`)).toBe(true);
    expect(Redactor.hasSecretShape(`see Bearer ${randomBytes(16).toString('base64url')}`)).toBe(
      true,
    );
  });

  it('when text is built by the server, request credentials are not masked in it, secrets and shapes are', () => {
    const credential = 'api_key_revoked';
    const text = `api_key_revoked ${downstreamKey} lp_live_AbC123`;
    const out = RequestContext.run([credential], () => ({
      server: redactor.redactServerText(text),
      any: redactor.redact(text),
    }));
    expect(out).toEqual({
      server: 'api_key_revoked [REDACTED] [REDACTED]',
      any: '[REDACTED] [REDACTED] [REDACTED]',
    });
  });

  it('when a header value holds a configured secret, containsConfiguredSecret says so, and only then', () => {
    expect(redactor.containsConfiguredSecret(`x ${downstreamKey}`)).toBe(true);
    const credential = `opaque${randomBytes(8).toString('hex')}`;
    RequestContext.run([credential], () => {
      expect(redactor.containsConfiguredSecret(`x ${credential}`)).toBe(false);
      expect(redactor.containsConfiguredSecret('Bearer realm="leakproof"')).toBe(false);
    });
  });

  it('when an error carries a request config, the summary keeps only type, message, stack and code', () => {
    const error = Object.assign(new Error(`request failed with key ${downstreamKey}`), {
      code: 'ECONNRESET',
      config: { headers: { Authorization: `Bearer ${downstreamKey}` } },
      body: 'raw body',
    });
    const summary = redactor.summarize(error);
    expect(Object.keys(summary).sort()).toEqual(['code', 'message', 'stack', 'type']);
    expect(JSON.stringify(summary)).not.toContain(downstreamKey);
    expect(summary.message).toBe('request failed with key [REDACTED]');
  });

  it('when something that is not an Error is thrown, the summary reveals nothing of it', () => {
    expect(redactor.summarize(`string with ${downstreamKey}`)).toEqual({
      type: 'string',
      message: '[REDACTED]',
    });
  });
  describe('exact values and boundaries', () => {
    const baseEnv = (): Record<string, string> => ({
      NODE_ENV: 'test',
      DATABASE_URL: ':memory:',
      JWT_SECRET: randomBytes(32).toString('base64url'),
      API_KEY_PEPPER: randomBytes(32).toString('base64url'),
    });
    const config = (jwtSecret: string, pepper: string): AppConfig =>
      AppConfig.fromEnv({
        NODE_ENV: 'test',
        DATABASE_URL: ':memory:',
        JWT_SECRET: jwtSecret,
        API_KEY_PEPPER: pepper,
      });

    it('when one configured secret is a prefix of another, the longer is masked whole, in either order', () => {
      const short = randomBytes(32).toString('base64url');
      const long = `${short}${randomBytes(8).toString('hex')}`;
      for (const [first, second] of [
        [short, long],
        [long, short],
      ]) {
        const prefixed = new Redactor(config(first, second), null);
        expect(prefixed.redact(`a ${long} b ${short} c`)).toBe('a [REDACTED] b [REDACTED] c');
        expect(prefixed.redactServerText(`a ${long} b`)).toBe('a [REDACTED] b');
      }
    });

    it('when a request credential is 8 characters it is masked; at 7 it is not', () => {
      const eight = randomBytes(4).toString('hex');
      const seven = eight.slice(0, 7);
      RequestContext.run([seven], () => {
        expect(redactor.redact(`saw ${seven} here`)).toBe(`saw ${seven} here`);
        expect(redactor.containsSecret(`saw ${seven} here`)).toBe(false);
      });
      RequestContext.run([eight], () => {
        expect(redactor.redact(`saw ${eight} here`)).toBe('saw [REDACTED] here');
        expect(redactor.containsSecret(`saw ${eight} here`)).toBe(true);
      });
    });

    it('when a configured URL password is shorter than 8 characters, it is not matched alone; at 8 it is', () => {
      const short = new Redactor(
        AppConfig.fromEnv({ ...baseEnv(), REDIS_URL: 'redis://:pw3456@cache:6379' }),
        null,
      );
      expect(short.redact('seen pw3456 here')).toBe('seen pw3456 here');
      const eight = new Redactor(
        AppConfig.fromEnv({ ...baseEnv(), REDIS_URL: 'redis://:pw345678@cache:6379' }),
        null,
      );
      expect(eight.redact('seen pw345678 here')).toBe('seen [REDACTED] here');
      expect(eight.redact('db :memory: here')).toBe('db [REDACTED] here');
    });

    it('when a request credential is a prefix of another, both are masked whole, in either order', () => {
      const short = `opaque${randomBytes(4).toString('hex')}`;
      const long = `${short}${randomBytes(4).toString('hex')}`;
      for (const order of [
        [long, short],
        [short, long],
      ]) {
        const out = RequestContext.run(order, () => redactor.redact(`${long} ${short}`));
        expect(out).toBe('[REDACTED] [REDACTED]');
      }
    });

    it('when a request credential starts with a configured secret, the credential is masked whole', () => {
      const secret = randomBytes(32).toString('base64url');
      const withSecret = new Redactor(config(secret, randomBytes(32).toString('base64url')), null);
      const credential = `${secret}${randomBytes(6).toString('hex')}`;
      const out = RequestContext.run([credential], () => withSecret.redact(`saw ${credential}`));
      expect(out).toBe('saw [REDACTED]');
    });

    it('when a PEM block has no END line, everything from its BEGIN line on is masked', () => {
      const body = randomBytes(48).toString('base64');
      expect(redactor.redact(`key: ${PEM_BEGIN}\n${body}\nmore`)).toBe('key: [REDACTED]');
      expect(Redactor.hasSecretShape(`${PEM_BEGIN}\n${body}`)).toBe(true);
    });

    it('when two PEM blocks are separated by text, the text between them is kept', () => {
      const block = (): string => `${PEM_BEGIN}\n${randomBytes(24).toString('base64')}\n${PEM_END}`;
      expect(redactor.redact(`${block()} middle ${block()}`)).toBe('[REDACTED] middle [REDACTED]');
    });

    it('when credential query names differ in case or repeat, every value is masked', () => {
      expect(redactor.redact('/cb?TOKEN=abc&x=1&Api_Key=def#frag')).toBe(
        '/cb?TOKEN=[REDACTED]&x=1&Api_Key=[REDACTED]#frag',
      );
      expect(redactor.redact('/a?token=one /b?token=two')).toBe(
        '/a?token=[REDACTED] /b?token=[REDACTED]',
      );
      expect(redactor.redact('/a;secret=x y')).toBe('/a;secret=[REDACTED] y');
    });

    it.each([
      'access_token',
      'token',
      'api_key',
      'apikey',
      'api-key',
      'key',
      'secret',
      'password',
      'client_secret',
      'refresh_token',
      'id_token',
    ])(
      'when the query parameter %s carries a value, the value is masked and the name kept',
      (name) => {
        expect(redactor.redact(`/cb?${name}=v4lue&next=1`)).toBe(`/cb?${name}=[REDACTED]&next=1`);
      },
    );

    it('when a query parameter only ends with a credential name, it is kept', () => {
      for (const text of ['/cb?mytoken=abc', '/cb?apixkey=abc', '/cb?api.key=abc']) {
        expect(redactor.redact(text)).toBe(text);
      }
    });

    it('when each auth scheme is followed by a credential, the scheme and credential are masked', () => {
      for (const scheme of ['Bearer', 'Basic', 'Digest', 'Negotiate', 'bearer']) {
        expect(redactor.redact(`h: ${scheme}  tok.en~+/=-_9 tail`)).toBe('h: [REDACTED] tail');
      }
      expect(redactor.redact('Bearers abc')).toBe('Bearers abc');
      expect(redactor.redact('xBearer abc')).toBe('xBearer abc');
    });

    it('when our API-key prefix has any other environment, or no word boundary, it is kept', () => {
      expect(redactor.redact('lp_test_abc lp_live_X_y')).toBe('[REDACTED] [REDACTED]');
      expect(redactor.redact('lp_prod_abc xlp_live_abc lp_live_')).toBe(
        'lp_prod_abc xlp_live_abc lp_live_',
      );
    });

    it('when a JWT-like value lacks its dot or its eyJ start, it is kept', () => {
      for (const text of ['eyJhbGciOiJIUzI1NiJ9', 'abc.def.ghi', 'xeyJa.b.c']) {
        expect(redactor.redact(text)).toBe(text);
      }
      expect(redactor.redact('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0')).toBe('[REDACTED]');
      expect(redactor.redact('eyJhbGciOiJIUzI1NiJ9.eyJ9.')).toBe('[REDACTED]');
    });

    it('when a URL has a user but no password, or a password with no "@", nothing is masked', () => {
      for (const text of ['https://user@host/p', 'https://host:8080/p', 'see a:b@c']) {
        expect(redactor.redact(text)).toBe(text);
      }
      expect(redactor.redact('redis://:pw@host')).toBe('redis://:[REDACTED]@host');
    });

    it('when containsSecret sees a request credential or a configured secret with no shape, it is true', () => {
      const credential = `opaque${randomBytes(8).toString('hex')}`;
      RequestContext.run([credential], () => {
        expect(redactor.containsSecret(`plain ${credential}`)).toBe(true);
        expect(redactor.containsSecret('plain text')).toBe(false);
      });
      expect(redactor.containsSecret(`plain ${jwtSecret}`)).toBe(true);
      expect(redactor.containsSecret(`plain ${credential}`)).toBe(false);
    });

    it('when an error has no stack and a non-string code, the summary has neither', () => {
      const error = Object.assign(new TypeError(`bad ${downstreamKey}`), { code: 42 });
      delete error.stack;
      expect(redactor.summarize(error)).toEqual({ type: 'TypeError', message: 'bad [REDACTED]' });
      const coded = Object.assign(new Error('x'), { code: `E_${downstreamKey}` });
      expect(redactor.summarize(coded).code).toBe('E_[REDACTED]');
      expect(redactor.summarize(coded).stack).toContain('Error: x');
    });

    it('when the development key material is loaded, its pepper is masked too', () => {
      const dir = mkdtempSync(join(tmpdir(), 'redactor-dev-keys-'));
      try {
        const devKeys = DevKeyMaterial.loadOrCreate(dir);
        const pepper = devKeys.secrets()[1].reveal();
        const pepperSecret = randomBytes(32).toString('base64url');
        const devRedactor = new Redactor(
          config(randomBytes(32).toString('base64url'), pepperSecret),
          devKeys,
        );
        expect(devRedactor.redact(`k ${pepper}`)).toBe('k [REDACTED]');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
