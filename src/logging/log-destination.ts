import { BeforeApplicationShutdown, OnApplicationShutdown } from '@nestjs/common';
import pino, { type DestinationStream } from 'pino';

/** Lines are handed to the kernel in chunks of at least this many bytes while serving. */
const CHUNK_BYTES = 4096;

/**
 * Standard output for the log, written asynchronously while the app serves and synchronously
 * from the moment it starts shutting down.
 *
 * Why: a synchronous destination makes one write(2) per log line, on the request's own time
 * (issue #8: one access-log line per request). pino's asynchronous SonicBoom batches lines into
 * chunks off the request path (pino docs, "Asynchronous logging").
 *
 * Nothing is lost:
 * - At the first shutdown hook the buffer is flushed and every later line is written before
 *   `write()` returns, so the shutdown's own lines reach the log even though Nest ends the
 *   process by re-raising the signal (which skips 'exit' handlers).
 * - On any other exit (process.exit, a fatal error) pino's own exit handler flushes the buffer
 *   (pino.destination registers it for asynchronous destinations).
 * The content of the lines is unchanged: only when they are written differs.
 */
export class LogDestination
  implements DestinationStream, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly buffered: ReturnType<typeof pino.destination>;
  private synchronous = false;

  /** `fd` is standard output in the app; tests pass a file's descriptor. */
  constructor(fd = 1) {
    this.buffered = pino.destination({ dest: fd, sync: false, minLength: CHUNK_BYTES });
  }

  write(line: string): void {
    this.buffered.write(line);
    // SonicBoom's flushSync retries a full pipe (EAGAIN) itself.
    if (this.synchronous) this.buffered.flushSync();
  }

  /** Flushes what is buffered, then writes every later line synchronously. */
  flushAndWriteSynchronously(): void {
    if (this.synchronous) return;
    this.synchronous = true;
    this.buffered.flushSync();
  }

  beforeApplicationShutdown(): void {
    this.flushAndWriteSynchronously();
  }

  onApplicationShutdown(): void {
    this.flushAndWriteSynchronously();
  }
}
