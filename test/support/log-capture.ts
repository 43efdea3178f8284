import { Writable } from 'node:stream';

/**
 * Captures the app's log stream. nestjs-pino keeps one pino-http instance per process, so every
 * app started in one test file writes here; Jest gives each file its own module registry, so
 * each file has its own capture.
 */
export class LogCapture extends Writable {
  private readonly chunks: string[] = [];

  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.chunks.push(chunk.toString('utf8'));
    done();
  }

  text(): string {
    return this.chunks.join('');
  }

  lines(): Record<string, unknown>[] {
    return this.text()
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  /**
   * The access-log lines of refused or failed requests, each with the filter's reason code and
   * its status as `status`.
   */
  failures(): Record<string, unknown>[] {
    return this.lines()
      .filter((l) => typeof l.reason === 'string' && typeof l.res === 'object' && l.res !== null)
      .map((l) => ({ ...l, status: (l.res as { statusCode?: unknown }).statusCode }));
  }

  clear(): void {
    this.chunks.length = 0;
  }
}

export const logCapture = new LogCapture();
