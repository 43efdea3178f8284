import { Controller, Get, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { Public } from '../../src/kit/auth/route-security.decorator';
import { LeakScanner } from '../support/leak-scanner';
import { logCapture } from '../support/log-capture';
import { startPlantedFixtureApp } from '../support/fixture/planted-fixture-app';
import { rawRequest } from '../support/raw-http';
import type { TestApp } from '../support/test-app';
import { TokenFactory } from '../support/tokens';

/** Deliberate leaks, registered only in this test, to prove the matrix can see. */
@Controller('planted')
class PlantedController {
  constructor(@InjectPinoLogger('Planted') private readonly logger: PinoLogger) {}

  @Public()
  @Get('echo')
  echo(@Query('token') token: string, @Res({ passthrough: true }) res: Response): object {
    res.setHeader('X-Echo', Buffer.from(token).toString('hex'));
    // The redactor knows the raw value (a query credential), not its base64 form.
    this.logger.info(`planted ${Buffer.from(token).toString('base64')}`);
    return { sub: token.slice(4, 16), b64url: Buffer.from(token).toString('base64url') };
  }
}

describe('LeakScanner', () => {
  const tokens = new TokenFactory();
  let app: TestApp;
  let url: string;

  beforeAll(async () => {
    app = await startPlantedFixtureApp([PlantedController], tokens.env());
    ({ url } = app);
  });
  afterAll(() => app.close());

  it('when a route echoes a credential in encoded forms, every sink reports it', async () => {
    const scanner = new LeakScanner();
    const canary = scanner.canary('planted');
    const res = await rawRequest(url, { method: 'GET', path: `/planted/echo?token=${canary}` });
    scanner.scan('response headers', res.headerText, 'planted');
    scanner.scan('response body', res.body, 'planted');
    scanner.scan('log', logCapture.text(), 'planted');
    const sinks = scanner.leaks.map((l) => `${l.sink}:${l.encoding}`);
    expect(sinks).toEqual(
      expect.arrayContaining([
        'log:base64',
        'response body:base64url',
        'response body:substring',
        'response headers:hex',
      ]),
    );
  });

  it('when a canary is only in the request, no leak is reported', async () => {
    const scanner = new LeakScanner();
    const canary = scanner.canary('quiet');
    const res = await rawRequest(url, { method: 'GET', path: `/api-keys?token=${canary}` });
    expect(res.status).toBe(401);
    scanner.scan('response body', res.body, 'quiet');
    scanner.scan('response headers', res.headerText, 'quiet');
    expect(scanner.leaks).toEqual([]);
  });

  it('when a canary is URL-encoded or JSON-escaped in a sink, it is found', () => {
    const scanner = new LeakScanner();
    const canary = scanner.canary('encoded');
    // Every character escaped, so no run of the canary is left raw for the substring check to
    // find first (escaping only lowercase letters left one ~6% of the time: a flaky test).
    const hex = (ch: string): string => ch.charCodeAt(0).toString(16).padStart(2, '0');
    const escaped = canary.replace(/./g, (ch) => `\\u00${hex(ch)}`);
    scanner.scan('a', `x=${canary.replace(/./g, (ch) => `%${hex(ch)}`)}`, 'url');
    scanner.scan('b', `"${escaped}"`, 'json');
    expect(scanner.leaks.map((l) => l.encoding).sort()).toEqual(['json-escaped', 'urlencoded']);
  });
});
