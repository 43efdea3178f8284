import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { AppConfig } from '../config/app-config';
import { Redactor } from '../security/redactor';
import { RequestContext } from '../security/request-context';
import { LogOptions } from './log-options';

describe('LogOptions', () => {
  const config = AppConfig.fromEnv({
    NODE_ENV: 'test',
    DATABASE_URL: ':memory:',
    JWT_SECRET: randomBytes(32).toString('base64url'),
    API_KEY_PEPPER: randomBytes(32).toString('base64url'),
  });
  const redactor = new Redactor(config, null);

  /** A pino logger with the app's options, writing its lines into an array. */
  function capture(): { logger: pino.Logger; lines: () => string } {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk.toString());
        done();
      },
    });
    const logger = pino(LogOptions.build(config, redactor), stream);
    return { logger, lines: () => chunks.join('') };
  }

  it("when a key of a logged object holds the request's credential, the key is redacted", () => {
    const credential = `opaque${randomBytes(8).toString('hex')}`;
    const { logger, lines } = capture();
    RequestContext.run([credential], () => {
      logger.info({ [`k ${credential}`]: 1, nested: { [credential]: 2 } }, 'seen');
    });
    expect(lines()).not.toContain(credential);
    expect(lines()).toContain('"k [REDACTED]":1');
    expect(lines()).toContain('"[REDACTED]":2');
  });

  it("when a credential equals a server field's name, the field keeps its name", () => {
    const { logger, lines } = capture();
    RequestContext.run(['responseTime', 'principal'], () => {
      logger.info({ responseTime: 3, principal: 'user:alice' }, 'request completed');
    });
    expect(JSON.parse(lines())).toMatchObject({ responseTime: 3, principal: 'user:alice' });
  });
});
