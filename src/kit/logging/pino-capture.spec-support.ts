import { Writable } from 'node:stream';
import { PinoLogger } from 'nestjs-pino';

/**
 * For unit specs: a real pino logger behind the real PinoLogger, writing at debug level into
 * `lines`, each line parsed. Not part of the build (tsconfig.build.json).
 */
export function pinoCapture(): { logger: PinoLogger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = new PinoLogger({
    pinoHttp: [
      { level: 'debug' },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
          done();
        },
      }),
    ],
  });
  return { logger, lines };
}
