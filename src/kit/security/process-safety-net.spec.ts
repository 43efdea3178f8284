import type { LoggerService } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { ProcessSafetyNet } from './process-safety-net';
import { specRedactor } from './redactor.spec-support';

describe('ProcessSafetyNet', () => {
  const key = randomBytes(24).toString('hex');
  const redactor = specRedactor(key);

  it('when a rejection goes unhandled, it is logged redacted and nothing is thrown', () => {
    const lines: unknown[][] = [];
    const logger: LoggerService = {
      log: () => undefined,
      warn: () => undefined,
      error: (...a: unknown[]) => lines.push(a),
    };
    const uninstall = ProcessSafetyNet.install(logger, redactor);
    try {
      const rejected = Promise.reject(new Error(`downstream said ${key}`));
      rejected.catch(() => undefined);
      expect(() =>
        process.emit('unhandledRejection', new Error(`downstream said ${key}`), rejected),
      ).not.toThrow();
    } finally {
      uninstall();
    }
    expect(lines).toHaveLength(1);
    expect(JSON.stringify(lines[0])).toContain('downstream said [REDACTED]');
    expect(JSON.stringify(lines[0])).not.toContain(key);
  });

  it('while starting, an unhandled rejection is handed to the failure handler', () => {
    const failures: unknown[] = [];
    const uninstall = ProcessSafetyNet.installForStartup((reason) => failures.push(reason));
    const reason = new Error('start-up work nobody awaited');
    try {
      const rejected = Promise.reject(reason);
      rejected.catch(() => undefined);
      process.emit('unhandledRejection', reason, rejected);
    } finally {
      uninstall();
    }
    expect(failures).toEqual([reason]);
  });

  it('when the start-up handlers are removed, neither rejections nor exceptions reach them', () => {
    const rejections = process.listenerCount('unhandledRejection');
    const exceptions = process.listenerCount('uncaughtException');
    const uninstall = ProcessSafetyNet.installForStartup(() => undefined);
    expect(process.listenerCount('unhandledRejection')).toBe(rejections + 1);
    expect(process.listenerCount('uncaughtException')).toBe(exceptions + 1);
    uninstall();
    expect(process.listenerCount('unhandledRejection')).toBe(rejections);
    expect(process.listenerCount('uncaughtException')).toBe(exceptions);
  });

  it('when uninstalled, it no longer listens', () => {
    const before = process.listenerCount('unhandledRejection');
    const logger: LoggerService = {
      log: () => undefined,
      warn: () => undefined,
      error: () => undefined,
    };
    const uninstall = ProcessSafetyNet.install(logger, redactor);
    expect(process.listenerCount('unhandledRejection')).toBe(before + 1);
    uninstall();
    expect(process.listenerCount('unhandledRejection')).toBe(before);
  });
});
