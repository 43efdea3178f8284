import { HttpStatus, NotFoundException } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import express, { type NextFunction, type Request, type Response } from 'express';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProblemDetailsFilter } from './problem-details.filter';
import { ProblemException } from './problem.exception';

/**
 * The reason code the filter logs for an error, with library errors made by the libraries
 * themselves (body-parser, Express's router) on a loopback server and wrapped by Nest's own
 * Express adapter, as they reach the filter in the app.
 */
describe('ProblemDetailsFilter.reasonOf', () => {
  const adapter = new ExpressAdapter();
  let server: Server | undefined;
  let base = '';
  let caught: unknown;

  beforeAll(async () => {
    const app = express();
    app.post('/json', express.json({ limit: 64 }), (_req, res) => {
      res.status(204).end();
    });
    app.get('/items/:id', (_req, res) => {
      res.status(204).end();
    });
    app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      caught = error;
      res.status(204).end();
    });
    server = createServer(app).listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    if (server) await new Promise((resolve) => server?.close(resolve));
  });

  /** The error the library raised for this request, as Nest hands it to the filter. */
  const libraryError = async (path: string, init: RequestInit = {}): Promise<unknown> => {
    caught = undefined;
    await fetch(`${base}${path}`, init);
    expect(caught).toBeInstanceOf(Error);
    return adapter.mapException(caught);
  };
  const post = (body: string): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });

  it('when body-parser refuses a body, the reason is its known type', async () => {
    const tooLarge = await libraryError('/json', post(`{"a":"${'x'.repeat(200)}"}`));
    expect(ProblemDetailsFilter.reasonOf(tooLarge)).toBe('entity.too.large');
    const malformed = await libraryError('/json', post('{"a":'));
    expect(ProblemDetailsFilter.reasonOf(malformed)).toBe('entity.parse.failed');
  });

  it('when a library 4xx error has no known type, the reason is client_error, never its class name', async () => {
    const badPath = await libraryError('/items/%FF');
    expect(ProblemDetailsFilter.reasonOf(badPath)).toBe('client_error');
    const newType = Object.assign(new RangeError('from a newer body-parser'), {
      status: 400,
      statusCode: 400,
      expose: true,
      type: 'entity.future.kind',
    });
    expect(ProblemDetailsFilter.reasonOf(adapter.mapException(newType))).toBe('client_error');
    expect(ProblemDetailsFilter.reasonOf(new NotFoundException())).toBe('client_error');
  });

  it('when an unknown error is a server fault, the reason is unexpected_error', () => {
    class VendorDriverError extends Error {}
    expect(ProblemDetailsFilter.reasonOf(new VendorDriverError('boom'))).toBe('unexpected_error');
    expect(ProblemDetailsFilter.reasonOf('a thrown string')).toBe('unexpected_error');
  });

  it('when our own ProblemException carries a reason, that reason is logged', () => {
    const refused = new ProblemException(HttpStatus.TOO_MANY_REQUESTS, { reason: 'rate_limited' });
    expect(ProblemDetailsFilter.reasonOf(refused)).toBe('rate_limited');
  });
});
