import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CapturedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  rawHeaders: string[];
  body: string;
}

/**
 * A real HTTP server on loopback that records every request it receives: the downstream in
 * outbound tests, and the canary target of jku/x5u/redirect tests. `respond` chooses the answer.
 */
export class CaptureServer {
  readonly requests: CapturedRequest[] = [];
  private server: Server | null = null;

  constructor(
    private respond: (req: CapturedRequest, res: ServerResponse) => void = (_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    },
  ) {}

  setResponder(respond: (req: CapturedRequest, res: ServerResponse) => void): void {
    this.respond = respond;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const captured: CapturedRequest = {
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          rawHeaders: req.rawHeaders,
          body: Buffer.concat(chunks).toString('latin1'),
        };
        this.requests.push(captured);
        this.respond(captured, res);
      });
    });
    const server = this.server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Every request as one text: request line, headers, body. */
  text(): string {
    return this.requests
      .map((r) => {
        let t = `${r.method} ${r.url}\n`;
        for (let i = 0; i < r.rawHeaders.length; i += 2)
          t += `${r.rawHeaders[i]}: ${r.rawHeaders[i + 1]}\n`;
        return `${t}\n${r.body}`;
      })
      .join('\n----\n');
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}
