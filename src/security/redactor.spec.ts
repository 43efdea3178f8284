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
