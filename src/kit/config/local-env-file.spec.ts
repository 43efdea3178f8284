import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalEnvFile } from './local-env-file';

describe('LocalEnvFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lp-env-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('when there is no file, it reads nothing and changes nothing', () => {
    const env: NodeJS.ProcessEnv = { KEEP: '1' };
    expect(LocalEnvFile.load(join(dir, 'missing.env'), env)).toBe(false);
    expect(env).toEqual({ KEEP: '1' });
  });

  it('when the file exists, its variables are added and the environment wins over it', () => {
    const file = join(dir, '.env');
    writeFileSync(file, '# local\nLOG_LEVEL=debug\nPORT=4000\nQUOTED="a b"\n');
    const env: NodeJS.ProcessEnv = { PORT: '3000' };
    expect(LocalEnvFile.load(file, env)).toBe(true);
    expect(env).toEqual({ PORT: '3000', LOG_LEVEL: 'debug', QUOTED: 'a b' });
  });

  it('when the npm scripts start the app or a CLI, none uses the flag that prints a line without the file', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(Object.values(pkg.scripts).filter((s) => s.includes('--env-file'))).toEqual([]);
  });
});
