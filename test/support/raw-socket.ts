import { connect, Socket } from 'node:net';

export interface SocketOutcome {
  /** Everything the server sent, as latin1 text. */
  received: string;
  /** `server` when the server closed or reset the connection, `bound` when the wait ran out. */
  endedBy: 'server' | 'bound';
}

export interface RawSocketOptions {
  /** Sent once, right after the connection opens. */
  head: string | Buffer;
  /** When true, the client closes its side right after the head, as a client that gave up. */
  end?: boolean;
  /** When set, one more byte of it is sent every `everyMs`, as a slow client would. */
  trickle?: { byte: string; everyMs: number };
  /** Longest wait for the server to close the connection; generous, never a timed assertion. */
  boundMs: number;
}

/**
 * A bare TCP client for what node:http refuses to send: malformed request lines and headers,
 * and requests that arrive a byte at a time. Resolves when the server closes the connection or
 * the bound runs out (then the client closes it).
 */
export function rawSocket(baseUrl: string, options: RawSocketOptions): Promise<SocketOutcome> {
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    const socket: Socket = connect(Number(url.port), url.hostname, () => {
      socket.write(options.head);
      if (options.end) socket.end();
      const trickle = options.trickle;
      if (trickle) {
        timer = setInterval(() => {
          if (socket.writable) socket.write(trickle.byte);
        }, trickle.everyMs);
      }
    });
    const finish = (endedBy: SocketOutcome['endedBy']): void => {
      clearInterval(timer);
      clearTimeout(bound);
      socket.destroy();
      resolve({ received: Buffer.concat(chunks).toString('latin1'), endedBy });
    };
    const bound = setTimeout(() => {
      finish('bound');
    }, options.boundMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A write after the server closed can fail with EPIPE or ECONNRESET: the server ended it.
    socket.on('error', () => {
      finish('server');
    });
    socket.on('close', () => {
      finish('server');
    });
  });
}

/** Opens a connection and keeps it open, idle, until the test destroys it. */
export async function idleSocket(baseUrl: string): Promise<Socket> {
  const url = new URL(baseUrl);
  const socket = connect(Number(url.port), url.hostname);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}
