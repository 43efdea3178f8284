import { randomBytes } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { Redactor } from './redactor';
import { RequestContext } from './request-context';

const PEM_LABEL = ['PRIVATE', 'KEY'].join(' ');
const PEM_BEGIN = `-----BEGIN ${PEM_LABEL}-----`;
const PEM_END = `-----END ${PEM_LABEL}-----`;

describe('Redactor', () => {
  const jwtSecret = randomBytes(32).toString('base64url');
  const downstreamKey = `dk_${randomBytes(16).toString('hex')}`;
  const redactor = new Redactor(
    AppConfig.fromEnv({
      NODE_ENV: 'test',
      DATABASE_URL: ':memory:',
      JWT_SECRET: jwtSecret,
      API_KEY_PEPPER: randomBytes(32).toString('base64url'),
      DOWNSTREAM_BASE_URL: 'http://127.0.0.1:9',
      DOWNSTREAM_API_KEY: downstreamKey,
    }),
    null,
  );

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
});
