import { isatty } from 'node:tty';

/**
 * Characters a terminal acts on instead of showing them: C0 and C1 controls (line breaks,
 * escape sequences that move the cursor or recolour the screen), DEL, the Unicode line and
 * paragraph separators, and the bidirectional controls (CVE-2021-42574, "Trojan Source").
 */
const TERMINAL_CONTROLS =
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** The same, less the line feed: a stack trace keeps its lines (pino-pretty indents them). */
const STACK_CONTROLS =
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

const escapeControl = (c: string): string =>
  NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

type Prettify = (log: object) => string;

/**
 * Formats a JSON log line for a person reading a terminal (LOG_FORMAT=pretty, development
 * only): local time, level, `[context] message`, the other fields on the same line.
 *
 * Security: it is given the line LogDestination was about to write, which pino's hooks and
 * serializers have already redacted (src/kit/logging/log-options.ts); it only rearranges it,
 * so a pretty line never holds what the JSON line would not (docs/threat-model.md §2). The
 * JSON line escapes control characters; pino-pretty prints the message and field names as they
 * are, so a message quoting request data could forge a log line or send a terminal escape
 * sequence (CWE-117, OWASP Logging Cheat Sheet). Every control character is escaped first.
 */
export class PrettyLogLine {
  private constructor(private readonly prettify: Prettify) {}

  /**
   * Loads pino-pretty only when a development app asks for it: production never evaluates it.
   * Colours when `fd` is a terminal that takes them (NO_COLOR and FORCE_COLOR are honoured).
   */
  static async create(fd: number): Promise<PrettyLogLine> {
    const { prettyFactory, isColorSupported } = await import('pino-pretty');
    return new PrettyLogLine(
      prettyFactory({
        colorize: isColorSupported && isatty(fd),
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname,context',
        messageFormat: '{if context}[{context}] {end}{msg}',
        singleLine: true,
      }),
    );
  }

  /** The pretty form of one JSON line; anything else (never expected) is returned unchanged. */
  format(line: string): string {
    try {
      const log: unknown = JSON.parse(line);
      if (log === null || typeof log !== 'object' || Array.isArray(log)) return line;
      return this.prettify(PrettyLogLine.inert(log, false) as object);
    } catch {
      return line;
    }
  }

  /** Escapes every control character in the keys and strings of a parsed log line. */
  private static inert(value: unknown, stack: boolean): unknown {
    if (typeof value === 'string') {
      return value.replace(stack ? STACK_CONTROLS : TERMINAL_CONTROLS, escapeControl);
    }
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((v) => PrettyLogLine.inert(v, false));
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k.replace(TERMINAL_CONTROLS, escapeControl),
        PrettyLogLine.inert(v, k === 'stack'),
      ]),
    );
  }
}
