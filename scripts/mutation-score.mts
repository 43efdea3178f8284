import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * After `stryker run`: fails unless every mutated file scores at least the break threshold.
 * Stryker's own `thresholds.break` checks the overall score only, so one weak file could hide
 * behind strong ones. The score is Stryker's: detected (killed or timed out) over detected plus
 * undetected (survived or not covered); mutants the compiler refused and ignored ones do not count.
 */
const REPORT = process.argv[2] ?? 'reports/mutation/mutation.json';
/** Committed, so that a run re-tests only what changed since it was written (stryker.config.mjs). */
const INCREMENTAL = 'reports/stryker-incremental.json';

/**
 * Security: Stryker records each mutant's test failure message (`statusReason`), and a failing
 * spec's message can quote a key the spec generated at run time (a PEM block in a diff, say). The
 * committed incremental file keeps the results, never the messages, nor the machine's path
 * (`projectRoot`); the incremental run does not need them. The git-ignored HTML and JSON reports
 * keep the messages for reading. test/mutation-report.e2e-spec.ts fails on a committed file that
 * was not cleaned (after `npx stryker run`, run this script).
 */
if (existsSync(INCREMENTAL)) {
  const incremental = JSON.parse(readFileSync(INCREMENTAL, 'utf8')) as {
    projectRoot?: string;
    files: Record<string, { mutants: { statusReason?: string }[] }>;
  };
  delete incremental.projectRoot;
  for (const { mutants } of Object.values(incremental.files)) {
    for (const mutant of mutants) delete mutant.statusReason;
  }
  writeFileSync(INCREMENTAL, JSON.stringify(incremental));
}

const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

type Report = {
  /** stryker.config.mjs `thresholds`; its `low` equals `break`. */
  thresholds: { low: number };
  files: Record<string, { mutants: { status: string }[] }>;
};

const report = JSON.parse(readFileSync(REPORT, 'utf8')) as Report;
const floor = report.thresholds.low;
let failed = 0;
for (const [file, { mutants }] of Object.entries(report.files)) {
  const detected = mutants.filter((m) => DETECTED.has(m.status)).length;
  const undetected = mutants.filter((m) => UNDETECTED.has(m.status)).length;
  const total = detected + undetected;
  const score = total === 0 ? 100 : (100 * detected) / total;
  const below = score < floor;
  if (below) failed++;
  console.log(`${below ? 'BELOW' : 'ok   '} ${score.toFixed(1).padStart(5)}%  ${file}`);
}
if (failed > 0) {
  console.error(`mutation score: ${failed} file(s) below ${floor}%`);
  process.exit(1);
}
