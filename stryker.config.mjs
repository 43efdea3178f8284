// Mutation testing: `npm run test:mutation`. Stryker changes the security code (a `>` into `>=`,
// a condition into `true`, a string into `""`) and counts the changes that no unit spec notices.
// Incremental: reports/stryker-incremental.json (committed) lets a run re-test only the mutants
// whose code or covering specs changed since it was written.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  jest: {
    projectType: 'custom',
    configFile: 'jest.mutation.config.js',
    enableFindRelatedTests: true,
  },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.build.json',
  coverageAnalysis: 'perTest',
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  reporters: ['clear-text', 'progress', 'html'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  thresholds: { high: 95, low: 90, break: 90 },
  concurrency: 2,
  // A mutant that makes a redaction pattern backtrack never finishes the crafted 1 MiB inputs
  // of redactor.spec.ts: it times out, which counts as killed. The unit specs take milliseconds,
  // so 2.5 s above their measured time is ample and keeps each such mutant cheap.
  timeoutMS: 2500,
  mutate: ['src/kit/security/redactor.ts'],
};
