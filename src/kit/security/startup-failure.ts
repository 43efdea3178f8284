import { DevKeyMaterial } from '../auth/dev-key-material';
import { AppConfig } from '../config/app-config';
import { Redactor } from './redactor';

/** Where the start failed: building the modules, their init hooks, or opening the port. */
export type StartupStep = 'create' | 'init' | 'listen';

/** A code or class name we print: short, no spaces, no punctuation a value would need. */
const TOKEN = /^[A-Za-z0-9_.-]{1,64}$/;
/** Longest message of our own that is printed, in lines and characters per line. */
const MAX_LINES = 12;
const MAX_LINE = 200;

const STEP: Readonly<Record<StartupStep, string>> = {
  create: 'creating the modules',
  init: 'starting the modules',
  listen: 'opening the port',
};

/**
 * The stderr message of a failed start: the step and a cause that names no value, in the plain
 * text of a configuration error. Security: a driver's or library's error message can quote a
 * connection string, a path or a value (ASVS 16.5.1), so only its class name, `code` and
 * `syscall` are printed. A plain `Error` without a code is how our own start-up checks report
 * (the migration, the route audit); its message is printed, through the redaction core.
 */
export class StartupFailure {
  static describe(step: StartupStep, error: unknown, config: AppConfig): string {
    const code = StartupFailure.field(error, 'code');
    if (step === 'listen' && code) {
      const where = `port ${config.http.port} on ${config.http.host}`;
      if (code === 'EADDRINUSE') return `${where} is in use (EADDRINUSE)`;
      if (code === 'EACCES') return `${where} needs a privilege this process lacks (EACCES)`;
      if (code === 'EADDRNOTAVAIL')
        return `HOST ${config.http.host} is not on this machine (EADDRNOTAVAIL)`;
      return `cannot listen on ${where} (${code})`;
    }
    return `${STEP[step]}: ${StartupFailure.cause(error, config)}`;
  }

  private static cause(error: unknown, config: AppConfig): string {
    if (!(error instanceof Error)) return 'a non-error value was thrown';
    if (Object.getPrototypeOf(error) === Error.prototype && !('code' in error)) {
      const lines = new Redactor(config, DevKeyMaterial.existing(config))
        .redact(error.message)
        .split('\n')
        .slice(0, MAX_LINES)
        .map((line) => (line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}…` : line));
      return lines.join('\n');
    }
    const name = TOKEN.test(error.name) ? error.name : 'Error';
    const code = StartupFailure.field(error, 'code');
    const syscall = StartupFailure.field(error, 'syscall');
    return [name, code, syscall ? `(${syscall})` : undefined].filter(Boolean).join(' ');
  }

  private static field(error: unknown, key: 'code' | 'syscall'): string | undefined {
    const value = (error as Record<string, unknown> | null)?.[key];
    if (typeof value === 'number') return String(value);
    return typeof value === 'string' && TOKEN.test(value) ? value : undefined;
  }
}
