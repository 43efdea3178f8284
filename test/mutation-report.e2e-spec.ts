import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The committed incremental result of `npm run test:mutation` (stryker.config.mjs). */
const FILE = join(__dirname, '..', 'reports', 'stryker-incremental.json');

type Incremental = {
  projectRoot?: unknown;
  files: Record<string, { mutants: { id: string; statusReason?: unknown }[] }>;
  testFiles?: Record<string, { tests: { name: string }[] }>;
};

/**
 * Security: Stryker writes each mutant's test failure message into its incremental file, and a
 * failing spec's message can quote a key the spec generated at run time. The file is committed,
 * so it must hold results only: scripts/mutation-score.mts cleans it after every run; this spec
 * fails on one committed without that step.
 */
const describeIfPresent = existsSync(FILE) ? describe : describe.skip;

describeIfPresent('The committed mutation report', () => {
  const report = existsSync(FILE) ? (JSON.parse(readFileSync(FILE, 'utf8')) as Incremental) : null;
  const mutants = Object.values(report?.files ?? {}).flatMap((f) => f.mutants);

  it('when it is read, no mutant keeps a test failure message and no machine path is kept', () => {
    expect(mutants.length).toBeGreaterThan(0);
    expect(mutants.filter((m) => m.statusReason !== undefined).map((m) => m.id)).toEqual([]);
    expect(report?.projectRoot).toBeUndefined();
  });

  it('when its test names are read, none holds a long random-looking run, as a generated key prints', () => {
    const names = Object.values(report?.testFiles ?? {}).flatMap((f) => f.tests.map((t) => t.name));
    expect(names.length).toBeGreaterThan(0);
    // A key, token or pepper a spec generates (hex, base64, base64url) prints as 20 or more such
    // characters with digits among them; the spec titles' own words and examples do not.
    const random = names.filter((name) =>
      (name.match(/[A-Za-z0-9+/_=-]{20,}/g) ?? []).some((run) => /\d/.test(run)),
    );
    expect(random).toEqual([]);
  });
});
