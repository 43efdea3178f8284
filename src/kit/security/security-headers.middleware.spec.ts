import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import helmet from 'helmet';
import { SecurityHeadersMiddleware } from './security-headers.middleware';

/** The headers a middleware sets on a fresh response, in the order it set them. */
function headersSetBy(
  middleware: (req: IncomingMessage, res: ServerResponse, next: () => void) => void,
): [string, string][] {
  const res = new ServerResponse(new IncomingMessage(new Socket()));
  middleware(res.req, res, () => undefined);
  return Object.entries(res.getHeaders()).map(([name, value]) => [name, String(value)]);
}

describe('SecurityHeadersMiddleware', () => {
  it("when compared with helmet's output for its options, the security headers are the same, name and value", () => {
    const ours = SecurityHeadersMiddleware.HEADERS.filter(([name]) => name !== 'Cache-Control').map(
      ([name, value]) => [name.toLowerCase(), value],
    );
    const helmets = headersSetBy(helmet(SecurityHeadersMiddleware.HELMET_OPTIONS));
    expect(Object.fromEntries(ours)).toEqual(Object.fromEntries(helmets));
  });

  it('when the list is read, every response is also no-store', () => {
    expect(SecurityHeadersMiddleware.HEADERS).toContainEqual(['Cache-Control', 'no-store']);
  });
});
