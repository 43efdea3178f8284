// Mutation testing (stryker.config.mjs) runs only the unit specs beside the code: they take
// milliseconds per test, whereas the e2e specs start the app per spec file. A mutant that no unit
// spec kills survives, so the mutated files carry unit specs of their own.
const unit = require('./jest.config.js').projects.find((project) => project.displayName === 'unit');

/** @type {import('jest').Config} */
module.exports = { ...unit, rootDir: 'src', testRegex: '\\.spec\\.ts$' };
