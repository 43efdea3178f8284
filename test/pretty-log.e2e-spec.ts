import { Controller, Get, Logger, Module, Query } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppFactory } from '../src/kit/app.factory';
import { Public } from '../src/kit/auth/route-security.decorator';
import { AppConfig } from '../src/kit/config/app-config';
import { LogDestination } from '../src/kit/logging/log-destination';
import { rawRequest } from './support/raw-http';

/** A random value that no pattern of the redaction core would mask by its shape. */
const opaque = (): string => `v${randomBytes(12).toString('hex')}`;

/** A configured secret (JWT_SECRET), known to this file so that careless code can quote it. */
const jwtSecret = opaque() + opaque();

/** Quotes a request credential and a configured secret into log lines, as careless code would. */
@Controller('careless')
class CarelessController {
  private readonly logger = new Logger('CarelessController');

  @Public()
  @Get()
  see(@Query('access_token') token: string, @Query('note') note: string): object {
    this.logger.warn(`saw token ${token}, secret ${jwtSecret}: ${note}`);
    this.logger.warn({ detail: `token ${token}, secret ${jwtSecret}`, note });
    return {};
  }
}

@Module({ controllers: [CarelessController] })
class CarelessModule {}

/** The start of a pretty line: local time and level. */
const PRETTY_LINE = /^\[\d\d:\d\d:\d\d\.\d{3}\] (TRACE|DEBUG|INFO|WARN|ERROR|FATAL): /;

/**
 * A development app logs through LogDestination with LOG_FORMAT's default, `pretty`: the lines
 * are the redacted JSON lines rearranged, never a second path past the redaction core
 * (docs/threat-model.md §2). One app per file: nestjs-pino keeps one logger per process.
 */
describe('LogDestination in a development app', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'lp-pretty-')), 'out.log');
  const destination = new LogDestination(openSync(file, 'w'));
  let app: NestExpressApplication | undefined;
  let url: string;

  beforeAll(async () => {
    const config = AppConfig.fromEnv({
      NODE_ENV: 'development',
      DATABASE_URL: ':memory:',
      JWT_SECRET: jwtSecret,
      API_KEY_PEPPER: opaque() + opaque(),
      LOG_LEVEL: 'info',
    });
    expect(config.log.format).toBe('pretty');
    app = await AppFactory.create(config, [CarelessModule], {
      logDestination: destination,
      shutdownSignals: false,
    });
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await app?.close();
    destination.close();
  });

  /** What the destination wrote so far, flushed; every later line is written at once. */
  const written = (): string => {
    destination.flushAndWriteSynchronously();
    return readFileSync(file, 'utf8');
  };

  async function careless(note: string): Promise<string> {
    const token = opaque();
    const res = await rawRequest(url, {
      method: 'GET',
      path: `/careless?access_token=${token}&note=${encodeURIComponent(note)}`,
    });
    expect(res.status).toBe(200);
    return token;
  }

  it('when careless code logs a request credential and a configured secret, the pretty lines hold [REDACTED] where they stood', async () => {
    const note = opaque();
    const token = await careless(note);
    const text = written();
    const lines = text.split('\n').filter((l) => l.includes(note));
    expect(lines).toEqual([expect.stringMatching(PRETTY_LINE), expect.stringMatching(PRETTY_LINE)]);
    // The message, then the request's id; the fields on the same line, as JSON.
    expect(lines[0]).toContain(
      `WARN: [CarelessController] saw token [REDACTED], secret [REDACTED]: ${note} {"req":{"id":`,
    );
    expect(lines[1]).toContain(`"detail":"token [REDACTED], secret [REDACTED]","note":"${note}"}`);
    for (const value of [token, jwtSecret]) expect(text).not.toContain(value);
  });

  it('when the app starts and serves, every line is pretty, the access line included', () => {
    const lines = written().split('\n').slice(0, -1);
    expect(lines.filter((l) => !PRETTY_LINE.test(l))).toEqual([]);
    expect(lines).toContainEqual(
      expect.stringMatching(/ INFO: \[NestApplication\] Nest application successfully started$/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/ INFO: request completed \{.*"route":"\/careless"/),
    );
  });

  it('when a message carries a line break and terminal escapes, they are shown escaped, never acted on', async () => {
    const forged = '[00:00:00.000] INFO: forged';
    await careless(`ok\n${forged}\u001b[2J\u202e\u0085`);
    const text = written();
    expect(text).toContain(`ok\\n${forged}\\u001b[2J\\u202e\\u0085`);
    expect(text.split('\n').filter((l) => l.startsWith(forged))).toEqual([]);
    expect(text.replaceAll('\n', '')).not.toMatch(/\p{Cc}|\u202e/u);
  });
});
