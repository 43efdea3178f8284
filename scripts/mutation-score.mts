import { readFileSync } from 'node:fs';

/**
 * After `stryker run`: fails unless every mutated file scores at least the break threshold.
 * Stryker's own `thresholds.break` checks the overall score only, so one weak file could hide
 * behind strong ones. The score is Stryker's: detected (killed or timed out) over detected plus
 * undetected (survived or not covered); mutants the compiler refused and ignored ones do not count.
 */
const REPORT = process.argv[2] ?? 'reports/mutation/mutation.json';
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
