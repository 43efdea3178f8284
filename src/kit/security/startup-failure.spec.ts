import { randomBytes } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { StartupFailure } from './startup-failure';

/** An error as node:net reports a failed listen. */
function listenError(code: string): Error {
  return Object.assign(new Error(`listen ${code}: address 127.0.0.1:3000`), {
    code,
    syscall: 'listen',
  });
}

/** A driver's error class, as pg's DatabaseError: its message can quote what it was given. */
class DriverError extends Error {
  override name = 'DatabaseError';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

describe('StartupFailure', () => {
  const password = `pw${randomBytes(12).toString('hex')}`;
  const databaseUrl = `postgres://app:${password}@127.0.0.1:5432/app`;
  const config = AppConfig.fromEnv({
    NODE_ENV: 'test',
    PORT: '3000',
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    JWT_SECRET: randomBytes(32).toString('hex'),
    API_KEY_PEPPER: randomBytes(32).toString('hex'),
  });

  it('when the port is in use, it names the port, the host and the code', () => {
    expect(StartupFailure.describe('listen', listenError('EADDRINUSE'), config)).toBe(
      'port 3000 on 127.0.0.1 is in use (EADDRINUSE)',
    );
  });

  it('when listening fails another way, it names the code, never the message', () => {
    expect(StartupFailure.describe('listen', listenError('EMFILE'), config)).toBe(
      'cannot listen on port 3000 on 127.0.0.1 (EMFILE)',
    );
  });

  it("when a driver's error quotes the connection string, only its class and code are printed", () => {
    const error = new DriverError(`cannot connect to ${databaseUrl}`, '28P01');
    const text = StartupFailure.describe('init', error, config);
    expect(text).toBe('starting the modules: DatabaseError 28P01');
  });

  it('when a system error names a path, only its class, code and system call are printed', () => {
    const error = Object.assign(new Error(`ENOTDIR: not a directory, mkdir '/srv/${password}'`), {
      code: 'ENOTDIR',
      syscall: 'mkdir',
    });
    expect(StartupFailure.describe('create', error, config)).toBe(
      'creating the modules: Error ENOTDIR (mkdir)',
    );
  });

  it('when our own check fails with a plain Error, its message is printed, redacted and bounded', () => {
    const lines = Array.from({ length: 30 }, (_, i) => `  - route ${i}`);
    const error = new Error(
      `Route security audit failed (${databaseUrl}):\n${lines.join('\n')}\n${'x'.repeat(500)}`,
    );
    const text = StartupFailure.describe('init', error, config);
    expect(text).toMatch(/^starting the modules: Route security audit failed/);
    expect(text).toContain('  - route 0');
    expect(text).not.toContain(password);
    expect(text.split('\n').length).toBeLessThanOrEqual(12);
  });

  it('when something that is not an Error is thrown, nothing of it is printed', () => {
    expect(StartupFailure.describe('init', password, config)).toBe(
      'starting the modules: a non-error value was thrown',
    );
  });
});
