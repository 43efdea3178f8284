import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
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
  /**
   * The latest response of each open connection: one entry per connection, replaced by its next
   * request, removed when the connection closes. A response is in flight until it finishes.
   */
  private readonly latest = new Map<Duplex, ServerResponse>();

  constructor(@InjectPinoLogger('ConnectionDrain') private readonly logger: PinoLogger) {}

  /** Requests whose response has not finished yet. */
  get inFlight(): number {
    let count = 0;
    for (const res of this.latest.values()) if (!res.writableFinished) count++;
    return count;
  }

  /**
   * Listens on the HTTP server itself, before Express: every request is seen, and the cost per
   * request is one map entry, with no listener or closure per response.
   */
  attach(server: Server): void {
    server.on('connection', this.onConnection);
    server.prependListener('request', this.onRequest);
  }

  private readonly onConnection = (socket: Duplex): void => {
    socket.once('close', () => this.latest.delete(socket));
  };

  private readonly onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (this.draining) res.setHeader('Connection', 'close');
    this.latest.set(req.socket, res);
  };

  /** Runs before Nest closes the HTTP server (after the signal, before the pool and Redis close). */
  beforeApplicationShutdown(signal?: string): void {
    this.draining = true;
    for (const res of this.latest.values()) {
      if (!res.headersSent) res.setHeader('Connection', 'close');
    }
    this.logger.info({ signal, inFlight: this.inFlight }, 'shutdown: draining in-flight requests');
  }
}
