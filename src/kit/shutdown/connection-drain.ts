import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';

/**
 * Graceful shutdown of HTTP connections. On SIGTERM Nest closes the listening socket and waits
 * for open connections; Node closes the idle ones at once, but a keep-alive connection whose
 * request is still running would stay open after its response, for the keep-alive timeout, and
 * hold the shutdown. So every response still to be written, and every request that arrives on an
 * open connection while draining, gets `Connection: close` (RFC 9112 §9.6): the request finishes,
 * then its connection closes, and the client (or the load balancer) opens the next one elsewhere.
 */
@Injectable()
export class ConnectionDrain implements BeforeApplicationShutdown {
  private draining = false;
  private readonly open = new Set<ServerResponse>();

  constructor(@InjectPinoLogger('ConnectionDrain') private readonly logger: PinoLogger) {}

  /** Requests whose response has not finished yet. */
  get inFlight(): number {
    return this.open.size;
  }

  /** Express middleware, registered first in app.setup. */
  readonly handle = (_req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    if (this.draining) {
      res.setHeader('Connection', 'close');
    } else {
      this.open.add(res);
      res.once('close', () => this.open.delete(res));
    }
    next();
  };

  /** Runs before Nest closes the HTTP server (after the signal, before the pool and Redis close). */
  beforeApplicationShutdown(signal?: string): void {
    this.draining = true;
    for (const res of this.open) {
      if (!res.headersSent) res.setHeader('Connection', 'close');
    }
    this.logger.info({ signal, inFlight: this.open.size }, 'shutdown: draining in-flight requests');
  }
}
