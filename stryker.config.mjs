// Mutation testing: `npm run test:mutation`. Stryker changes the security code (a `>` into `>=`,
// a condition into `true`, a string into `""`) and counts the changes that no unit spec notices.
// Incremental: reports/stryker-incremental.json, committed, lets a run re-test only the mutants
// whose code or covering specs changed since it was written. Security: Stryker writes test failure
// messages into it, which can quote keys the specs generate at run time; scripts/mutation-score.mts
// removes them before the file is committed, and test/mutation-report.e2e-spec.ts checks it.
import { declareValuePlugin, PluginKind } from '@stryker-mutator/api/plugin';

/**
 * Equivalent mutants: code whose mutation changes no observable behaviour, only speed. Each is
 * named by where it is (file, enclosing method or constant) and its exact source text, with the reason
 * no test can tell the mutant apart. Nothing else is ignored.
 */
const EQUIVALENT = [
  {
    file: 'src/kit/security/redactor.ts',
    within: 'containsSecret',
    source: '!this.mayHoldSecret(text)',
    reason: 'Fast path only: without it the full masking gives the same answer, slower.',
  },
  {
    file: 'src/kit/security/redactor.ts',
    within: 'mayHoldSecret',
    source: 'text.includes(value)',
    reason: 'Fast path only: a `true` here sends the text to the full masking, which decides.',
  },
  {
    file: 'src/kit/security/redactor.ts',
    within: 'mask',
    source: 'out.includes(value)',
    reason: 'Skips replaceAll when the value is absent; replaceAll of an absent value is a no-op.',
  },
  {
    file: 'src/kit/security/redactor.ts',
    within: 'mask',
    source: '!ANY_SHAPE.test(out)',
    reason:
      'Fast path only: ANY_SHAPE matches wherever a shape would, so when it finds none the six replacements change nothing. Ignoring is per node, so the mutants that skip the replacements when a shape is found, which every shape spec kills, are ignored with it.',
  },
  {
    file: 'src/kit/security/redactor.ts',
    within: 'ANY_SHAPE',
    source: '(shape) => `(?:${shape.source})`',
    reason:
      'Pre-filter for containsSecret and mask: a mutant that empties an alternative matches everything, which only sends every text to the full masking.',
  },
  {
    file: 'src/kit/security/redactor.ts',
    within: 'cutPoint',
    source: 'slashes >= 0',
    reason:
      'With no "//" before the cut, the sticky match at index 0 fails anyway (the text does not start with "//"), so the guard changes nothing.',
  },
  {
    file: 'src/kit/auth/jwt-key.resolver.ts',
    within: 'checkHeader',
    parent: 'CatchClause',
    source: "{\n      throw new TokenRejectedError('malformed');\n    }",
    reason:
      'A header that is not JSON leaves `header` undefined, and the object check right after refuses it as malformed too.',
  },
  {
    file: 'src/kit/auth/jwt-verifier.hook.ts',
    within: 'verify',
    source: "typeof payload === 'object' && payload !== null",
    reason:
      'TokenVerdictCache.rememberVerified stores nothing without a numeric exp, and jsonwebtoken never hands a null payload to its callback: the test only spares a call.',
  },
  {
    file: 'src/kit/auth/authentication.guard.ts',
    within: 'credentialCount',
    source: 'count < 2',
    reason:
      'The bound only stops counting early: counting on (`true`, `<=`) gives the same answer. Ignoring is per node, so the mutants here that stop counting (`false`, `>=`), which the multiple-credential specs kill, are ignored with them.',
  },
  {
    file: 'src/kit/api-keys/api-key-format.ts',
    within: 'SHAPE',
    source: '/^lp_(live|test)_([0-9A-Za-z]{12})_[0-9A-Za-z]{32}([0-9A-Za-z]{6})$/',
    reason:
      "parse admits only strings of exactly ApiKeyFormat.LENGTH characters, the number the pattern consumes, so a match starts at 0 and ends at the end with or without `^` and `$`. Ignoring is per node, so the pattern's other mutants, which the single-character spec kills, are ignored with them.",
  },
  {
    file: 'src/kit/api-keys/api-key.hasher.ts',
    within: 'constructor',
    source: '!this.peppers.has(pepper.id)',
    reason:
      'A pepper id is derived from the pepper, so a second entry with the same id holds the same secret: overwriting it (`true`) digests the same. Ignoring is per node, so the mutants that store nothing (`false`, the negation dropped), which every digest spec kills, are ignored with it.',
  },
];

/** The name of the method, function or constant a node sits in. */
function enclosingName(path) {
  for (let p = path.parentPath; p; p = p.parentPath) {
    const { node } = p;
    if (
      (p.isClassMethod() || p.isObjectMethod() || p.isClassProperty()) &&
      node.key.type === 'Identifier'
    ) {
      return node.key.name;
    }
    if (p.isVariableDeclarator() && node.id.type === 'Identifier') return node.id.name;
  }
  return undefined;
}

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, 'equivalent', {
    shouldIgnore(path) {
      const file = String(path.hub?.file?.opts?.filename ?? '').replaceAll('\\', '/');
      const source = path.getSource();
      const rule = EQUIVALENT.find(
        (r) =>
          r.source === source &&
          file.endsWith(r.file) &&
          r.within === enclosingName(path) &&
          (r.parent === undefined || path.parentPath?.type === r.parent),
      );
      return rule ? `Equivalent mutant: ${rule.reason}` : undefined;
    },
  }),
];

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  appendPlugins: ['./stryker.config.mjs'],
  ignorers: ['equivalent'],
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
  // json: reports/mutation/mutation.json, which scripts/mutation-score.mts holds to `low` per file.
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  // `break` fails the overall score; `low` is the floor for each file (scripts/mutation-score.mts).
  thresholds: { high: 95, low: 90, break: 90 },
  concurrency: 2,
  // A mutant that makes a redaction pattern backtrack never finishes the crafted 1 MiB inputs
  // of redactor.spec.ts: it times out, which counts as killed. The unit specs take milliseconds,
  // so 2.5 s above their measured time is ample and keeps each such mutant cheap.
  timeoutMS: 2500,
  // The kit's security code; each file is held at >= 90% by the unit specs beside it.
  mutate: [
    'src/kit/security/redactor.ts',
    'src/kit/auth/jwt-key.resolver.ts',
    'src/kit/auth/jwt.strategy.ts',
    'src/kit/auth/jwt-verifier.hook.ts',
    'src/kit/auth/jwt.authenticator.ts',
    'src/kit/auth/token-verdict.cache.ts',
    'src/kit/auth/scope.guard.ts',
    'src/kit/auth/authentication.guard.ts',
    'src/kit/downstream/downstream.client.ts',
    'src/kit/downstream/downstream-path.ts',
    'src/kit/config/secret-source.ts',
    'src/kit/api-keys/api-key-format.ts',
    'src/kit/api-keys/base62.ts',
    'src/kit/api-keys/api-key.hasher.ts',
    'src/kit/api-keys/api-key.verifier.ts',
    'src/kit/api-keys/api-key.authenticator.ts',
    'src/kit/api-keys/api-keys.config.ts',
    'src/kit/auth/jwt.config.ts',
    'src/kit/security/request-context.middleware.ts',
    'src/kit/throttling/rate-limit.guard.ts',
    'src/kit/throttling/fixed-windows.ts',
    'src/kit/api-keys/api-key-failure.limiter.ts',
    'src/kit/security/problem-details.filter.ts',
    'src/kit/security/security-headers.ts',
  ],
};
