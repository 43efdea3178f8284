import { PrettyLogLine } from './pretty-log-line';

/** A pino JSON line as LogDestination receives it. */
const json = (fields: Record<string, unknown>): string =>
  `${JSON.stringify({ level: 40, time: Date.UTC(2026, 0, 1), pid: 7, hostname: 'box', ...fields })}\n`;

describe('PrettyLogLine', () => {
  let pretty: PrettyLogLine;

  beforeAll(async () => {
    // A descriptor that is not a terminal: no colours.
    pretty = await PrettyLogLine.create(-1);
  });

  it('when given a JSON line, it shows time, level, [context] and message, then the other fields on the same line', () => {
    const line = pretty.format(json({ context: 'Items', msg: 'stock set', keyId: 'k1' }));
    expect(line).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: \[Items\] stock set \{"keyId":"k1"\}\n$/,
    );
    expect(line.trimEnd()).not.toMatch(/box|"pid"|\p{Cc}/u);
  });

  it('when a value is [REDACTED] in the JSON line, it is [REDACTED] in the pretty one', () => {
    const line = pretty.format(json({ msg: 'saw [REDACTED]', detail: 'token [REDACTED]' }));
    expect(line).toContain('WARN: saw [REDACTED] {"detail":"token [REDACTED]"}');
  });

  it('when the message or a field name carries a line break or a terminal escape, they are shown escaped', () => {
    const forged = '[00:00:00.000] INFO: forged';
    const line = pretty.format(
      json({ msg: `a\n${forged}\r\u001b[2J\u009b\u202e`, [`k\n${forged}`]: 'v\u0007' }),
    );
    expect(line.split('\n')).toEqual([expect.stringMatching(/^\[/), '']);
    expect(line).toContain(`a\\n${forged}\\r\\u001b[2J\\u009b\\u202e`);
    expect(line.trimEnd()).not.toMatch(/\p{Cc}|\u202e/u);
  });

  it('when an error carries a stack, its lines stay lines, indented below the entry', () => {
    const stack = 'Error: boom\n    at a (a.js:1:1)';
    const line = pretty.format(json({ msg: 'failed', err: { type: 'Error', stack } }));
    const lines = line.split('\n');
    expect(lines[0]).toMatch(/WARN: failed ?$/);
    expect(lines.slice(1, -1).every((l) => l.startsWith(' '))).toBe(true);
    expect(line).toMatch(/^ +Error: boom\n +at a \(a\.js:1:1\)$/m);
  });

  it.each([['not json\n'], ['[1,2]\n'], ['"text"\n'], ['{"level":30,"msg":"cut']])(
    'when given %j, which is not a JSON object, it returns it unchanged',
    (input) => {
      expect(pretty.format(input)).toBe(input);
    },
  );
});
