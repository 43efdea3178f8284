import { execFile } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const CLI = join(ROOT, 'src/cli/dev-token.cli.ts');
const REGISTER = join(ROOT, 'scripts/swc-register.mts');

/** The token CLI's argument handling, run from the TypeScript sources; no token is minted. */
describe('token CLI', () => {
  jest.setTimeout(60_000);

  const cli = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        ['--import', REGISTER, CLI, ...args],
        { env: { PATH: process.env.PATH, NODE_ENV: 'test' }, timeout: 30_000 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });

  it.concurrent.each([['--help'], ['-h'], ['help']])(
    'when asked for help with %s, it prints the usage on stdout and exits 0',
    async (...args) => {
      const run = await cli(...args);
      expect(run).toEqual({
        code: 0,
        stdout: expect.stringMatching(/^usage: npm run token/),
        stderr: '',
      });
    },
  );

  it.concurrent.each([
    ['no --sub', []],
    ['an unknown option', ['--sub', 'alice', '--all']],
  ])('when given %s, it exits 2 with usage on stderr and nothing on stdout', async (_n, args) => {
    const run = await cli(...args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('usage: npm run token');
  });
});
