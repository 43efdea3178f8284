// Nest 12, Kysely and jose (under jwks-rsa) ship ESM only. Jest's module system cannot require() ESM, so @swc/jest compiles our
// TypeScript and the @nestjs packages to CommonJS, with no experimental flags.
const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2023',
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

const common = {
  transform: { '^.+\\.(t|j|mj)s$': ['@swc/jest', swc] },
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs|jose|kysely)/)'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  testEnvironment: 'node',
  // Tests start real servers, browsers and child processes; on a loaded 2-core machine those
  // take seconds. A generous bound still catches a hang; speed is measured in bench/, never here.
  testTimeout: 60_000,
};

/** @type {import('jest').Config} */
module.exports = {
  // Jest reads testTimeout from the top level only; a project's own copy is ignored.
  testTimeout: common.testTimeout,
  projects: [
    { ...common, displayName: 'unit', rootDir: 'src', testRegex: '\\.spec\\.ts$' },
    {
      ...common,
      displayName: 'e2e',
      rootDir: '.',
      roots: ['<rootDir>/test'],
      testRegex: '\\.e2e-spec\\.ts$',
    },
    // Built app (dist/) as child processes, PostgreSQL and Redis: `npm run test:integration`.
    {
      ...common,
      displayName: 'integration',
      rootDir: '.',
      roots: ['<rootDir>/test'],
      testRegex: '\\.integration-spec\\.ts$',
    },
  ],
};
