import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

const MAIN = join(__dirname, '..', 'dist', 'main.js');

/** Runs the built app (as `npm start` does) with a bad environment; it must stop at boot. */
function boot(env: Record<string, string>): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', DATABASE_URL: ':memory:', ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('bootstrap with a bad configuration', () => {
  const canary = `cfg${randomBytes(12).toString('hex')}`;
  const production = {
    NODE_ENV: 'production',
    JWT_ISSUER: 'https://issuer.example',
    JWT_AUDIENCE: 'api',
    API_KEY_PEPPER: randomBytes(32).toString('base64url'),
  };

  it.each([
    ['production without a key source', production, 'JWT_JWKS_URI, JWT_PUBLIC_KEY, JWT_SECRET'],
    ['an HS secret shorter than 32 bytes', { ...production, JWT_SECRET: canary }, 'JWT_SECRET'],
    [
      'alg none',
      { ...production, JWT_SECRET: `${canary}${canary}`, JWT_ALGORITHMS: 'none' },
      'JWT_ALGORITHMS',
    ],
    [
      'HS mixed with RS',
      { ...production, JWT_SECRET: `${canary}${canary}`, JWT_ALGORITHMS: 'HS256,RS256' },
      'JWT_ALGORITHMS',
    ],
    [
      'a placeholder pepper',
      {
        ...production,
        JWT_SECRET: randomBytes(32).toString('hex'),
        API_KEY_PEPPER: `changeme-${canary}`,
      },
      'API_KEY_PEPPER',
    ],
    ['a malformed port', { ...production, JWT_SECRET: `${canary}${canary}`, PORT: canary }, 'PORT'],
  ])(
    'when started with %s, it exits 1 naming the variable and never the value',
    (_name, env, variable) => {
      const { status, output } = boot(env);
      expect(status).toBe(1);
      expect(output).toContain(variable);
      expect(output).not.toContain(canary);
      expect(output).not.toMatch(/listening|Nest application successfully started/);
    },
  );
});
