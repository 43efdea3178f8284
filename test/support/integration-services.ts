/** What the integration run (`npm run test:integration`) provides and `npm test` does not. */
export type IntegrationService = 'TEST_DATABASE_URL' | 'TEST_REDIS_URL';

const WHAT: Record<IntegrationService, string> = {
  TEST_DATABASE_URL: 'PostgreSQL',
  TEST_REDIS_URL: 'Redis',
};

/**
 * `describe` for a suite that needs a real PostgreSQL or Redis. When the variable is unset the
 * suite is skipped, and says why and how to run it: in its title (the verbose reporter and a
 * single-file run list skipped titles) and in one line on stderr, which every reporter shows. A
 * silently skipped suite reads as a passing one.
 */
export function describeWith(variable: IntegrationService, title: string, suite: () => void): void {
  if (process.env[variable]) {
    describe(title, suite);
    return;
  }
  const why = `needs ${variable} (${WHAT[variable]}): npm run test:integration`;
  // Straight to stderr: Jest prints no console output for a file whose every test is skipped.
  process.stderr.write(`skipped: ${title}, ${why}\n`);
  describe.skip(`${title} (${why})`, suite);
}
