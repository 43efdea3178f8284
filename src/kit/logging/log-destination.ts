import { BeforeApplicationShutdown, OnApplicationShutdown } from '@nestjs/common';
import { writeSync } from 'node:fs';
import pino, { type DestinationStream } from 'pino';
import type { LogFormat } from './logging.config';
import { PrettyLogLine } from './pretty-log-line';

/** Lines are handed to the kernel in chunks of at least this many bytes while serving. */
const CHUNK_BYTES = 4096;
/** A quiet service's lines wait at most this long for a chunk to fill. */
const FLUSH_INTERVAL_MS = 1000;
/** An error code we print: short, no spaces, nothing a value would need. */
const ERROR_CODE = /^[A-Z0-9_]{1,32}$/;

/**
 * Standard output for the log, written in 4 KiB chunks while the app serves, and line by line
 * from the moment it starts shutting down.
 *
 * Why: the default destination makes one write(2) per log line, on the request's own time, and
 * every request writes one access-log line. Chunks cut that to one write(2) per dozen lines.
 * The chunks are written synchronously (SonicBoom `sync: true` with `minLength`), not in pino's
 * asynchronous mode: handing each chunk to the libuv thread pool costs a thread switch per
 * write, which a server pinned to one core pays on the request's time.
 *
 * Nothing is lost or held back while the descriptor works:
 * - whatever is buffered is flushed every second, so a quiet service's lines still appear;
 * - at the first shutdown hook the buffer is flushed and every later line is written before
 *   `write()` returns, so the shutdown's own lines reach the log before the process exits;
 * - on any other exit (process.exit, a fatal error) an 'exit' listener flushes the buffer.
 * The content and order of the lines are unchanged: only when they are written differs.
 *
 * With the `pretty` format (development only), each line is reformatted for a terminal just
 * before it is buffered: the line pino hands over is already redacted, and the pretty one goes
 * through the same chunks, flushes and failure handling (src/kit/logging/pretty-log-line.ts).
 *
 * When the descriptor fails (the log shipper reading the pipe went away: EPIPE; a closed
 * descriptor: EBADF; a full disk: ENOSPC), the lines are dropped from then on, the failure is
 * reported once on standard error, and nothing is thrown: not into the code that logged, the
 * exception filter or the shutdown sequence (docs/scaling.md, "When the log sink goes away").
 * The buffer is always written through SonicBoom's `flush()`, whose failures arrive as an
 * 'error' event: its `flushSync()` retries a failed write every 100 ms for ever when the error
 * is not EAGAIN, blocking the event loop so that no signal is ever handled again.
 * Security: after a failure nothing is written to the descriptor again, so a descriptor number
 * that is closed and reused by a later socket or file never receives log lines.
 */
export class LogDestination
  implements DestinationStream, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly sink: ReturnType<typeof pino.destination>;
  private readonly timer: NodeJS.Timeout;
  private readonly flushNow = (): void => {
    this.flush();
  };
  private lineByLine = false;
  /** Set once the descriptor failed or was closed: every later line is dropped. */
  private stopped = false;
  private pretty: PrettyLogLine | null = null;

  /**
   * `fd` is standard output in the app; tests pass a file's or a pipe's descriptor.
   * `reportFd` receives the one line that says the log failed (standard error in the app).
   */
  constructor(
    private readonly fd = 1,
    private readonly reportFd = 2,
  ) {
    this.sink = pino.destination({ dest: fd, sync: true, minLength: CHUNK_BYTES });
    this.sink.on('error', (error: unknown) => {
      this.fail(error);
    });
    this.timer = setInterval(this.flushNow, FLUSH_INTERVAL_MS).unref();
    process.once('exit', this.flushNow);
  }

  write(line: string): void {
    if (this.stopped) return;
    try {
      this.sink.write(this.pretty ? this.pretty.format(line) : line);
    } catch (error) {
      this.fail(error);
    }
    if (this.lineByLine) this.flush();
  }

  /** How every later line is written: as pino's JSON, or `pretty` for a terminal. */
  async useFormat(format: LogFormat): Promise<void> {
    this.pretty = format === 'pretty' ? await PrettyLogLine.create(this.fd) : null;
  }

  /** Flushes what is buffered, then writes every later line as it comes. */
  flushAndWriteSynchronously(): void {
    if (this.lineByLine) return;
    this.lineByLine = true;
    process.removeListener('exit', this.flushNow);
    this.flush();
  }

  /**
   * Flushes, stops the periodic flush and closes the descriptor. For owners of a descriptor
   * (tests): a timer that outlives its descriptor would write to a closed or reused fd.
   */
  close(): void {
    this.flushAndWriteSynchronously();
    this.stop();
    this.sink.destroy();
  }

  beforeApplicationShutdown(): void {
    this.flushAndWriteSynchronously();
  }

  onApplicationShutdown(): void {
    this.flushAndWriteSynchronously();
  }

  /** In sync mode SonicBoom's `flush()` writes the whole buffer before it returns. */
  private flush(): void {
    if (this.stopped) return;
    try {
      this.sink.flush();
    } catch (error) {
      this.fail(error);
    }
  }

  private fail(error: unknown): void {
    if (this.stopped) return;
    this.stop();
    const code = (error as { code?: unknown } | null)?.code;
    const reason = typeof code === 'string' && ERROR_CODE.test(code) ? code : 'unknown error';
    if (this.reportFd === this.fd) return;
    try {
      // Security: the error code only; an error message could quote a path.
      writeSync(this.reportFd, `log destination failed (${reason}): later log lines are dropped\n`);
    } catch {
      // Standard error is gone too: there is nowhere left to say it.
    }
  }

  private stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    process.removeListener('exit', this.flushNow);
  }
}
