import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');
const CLI = join(ROOT, 'src/cli/openapi-export.cli.ts');
const REGISTER = join(ROOT, 'scripts/swc-register.mts');

/**
 * `npm run openapi` as a user runs it (npm runs it in the repository root), from the TypeScript
 * sources. The default output must live outside dist/, which every build empties.
 */
describe('openapi CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lp-openapi-cli-'));
  jest.setTimeout(60_000);

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const cli = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        ['--import', REGISTER, CLI, ...args],
        { cwd: dir, env: { PATH: process.env.PATH, NODE_ENV: 'test' }, timeout: 30_000 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });

  it('when run without a path, it writes openapi.json in the working directory, not under dist/', async () => {
    const run = await cli();
    expect(run.code).toBe(0);
    const file = join(dir, 'openapi.json');
    expect(run.stdout).toBe(`wrote ${file}\n`);
    expect((JSON.parse(readFileSync(file, 'utf8')) as { openapi: string }).openapi).toMatch(/^3\./);
    expect(existsSync(join(dir, 'dist'))).toBe(false);
  });

  it.each([['--help'], ['-h'], ['help']])(
    'when asked for help with %s, it prints the usage on stdout and exits 0',
    async (...args) => {
      const run = await cli(...args);
      expect(run).toEqual({
        code: 0,
        stdout: expect.stringMatching(/^usage: npm run openapi/),
        stderr: '',
      });
      expect(existsSync(join(dir, 'help'))).toBe(false);
    },
  );
});
