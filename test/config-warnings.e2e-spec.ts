import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logCapture } from './support/log-capture';
import { startTestApp } from './support/test-app';
import { TokenFactory } from './support/tokens';

/**
 * A secret given as a plain variable stays readable in /proc/<pid>/environ whatever the app does
 * to process.env, so production says so once at boot, naming the variable and never its value.
 */
describe('ConfigWarnings', () => {
  const tokens = new TokenFactory();
  const dir = mkdtempSync(join(tmpdir(), 'lp-config-warnings-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** The boot log of a production app started with `env`; the app is closed again. */
  async function bootLog(env: Record<string, string>): Promise<Record<string, unknown>[]> {
    logCapture.clear();
    const app = await startTestApp({ ...tokens.env(), NODE_ENV: 'production', ...env });
    await app.close();
    return logCapture.lines();
  }

  const plainSecretWarnings = (lines: Record<string, unknown>[]) =>
    lines.filter((l) => typeof l.msg === 'string' && l.msg.includes('/proc/<pid>/environ'));

  it('when production is given a secret as a plain variable, one warning names it, not its value', async () => {
    const pepper = randomBytes(32).toString('base64url');
    const lines = await bootLog({ API_KEY_PEPPER: pepper });
    const warnings = plainSecretWarnings(lines);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 40, context: 'AppConfig' });
    expect(warnings[0].msg).toContain('API_KEY_PEPPER');
    expect(warnings[0].msg).toContain('API_KEY_PEPPER_FILE');
    expect(logCapture.text()).not.toContain(pepper);
  });

  it('when production is given the secret as NAME_FILE, there is no warning', async () => {
    const file = join(dir, 'pepper');
    writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600 });
    expect(plainSecretWarnings(await bootLog({ API_KEY_PEPPER_FILE: file }))).toEqual([]);
  });
});
