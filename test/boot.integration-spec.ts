import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './support/app-process';

const MAIN = join(__dirname, '..', 'dist', 'main.js');
/** Generous: a failed start ends in a second or two; a hung one is killed at this bound. */
const BOUND_MS = 30_000;

interface Exit {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built app (as `npm start` does) with exactly this environment and waits until it
 * exits; one that is still running at the bound is killed, and its exit is then a signal.
 */
async function boot(env: Record<string, string>): Promise<Exit> {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', DATABASE_URL: ':memory:', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const bound = setTimeout(() => child.kill('SIGKILL'), BOUND_MS);
  try {
    const [status, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
    return { status, signal, stdout, stderr };
  } finally {
    clearTimeout(bound);
  }
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
    async (_name, env, variable) => {
      const { status, stdout, stderr } = await boot(env);
      const output = `${stdout}${stderr}`;
      expect(status).toBe(1);
      expect(output).toContain(variable);
      expect(output).not.toContain(canary);
      expect(output).not.toMatch(/listening|Nest application successfully started/);
    },
  );
});

/** Starts that fail after the configuration was read: each exits 1 with one plain-text cause. */
describe('bootstrap that fails to start', () => {
  const jwtSecret = randomBytes(32).toString('hex');
  const base = { NODE_ENV: 'test', JWT_SECRET: jwtSecret, API_KEY_PEPPER: jwtSecret.slice(1) };

  /** The stderr of a failed start: one plain line (no JSON, no stack) naming the cause. */
  const expectPlainCause = (exit: Exit, cause: RegExp, secret: string): void => {
    expect(exit).toMatchObject({ status: 1, signal: null });
    expect(exit.stderr).toMatch(cause);
    expect(exit.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(exit.stderr).not.toMatch(/^\s*at |\{"|unhandled rejection/m);
    expect(`${exit.stdout}${exit.stderr}`).not.toContain(secret);
    expect(exit.stdout).not.toContain('listening on');
  };

  it('when the port is in use, it exits 1 naming port, host and code', async () => {
    const port = await freePort();
    const occupant = createServer();
    try {
      occupant.listen(port, '127.0.0.1');
      await once(occupant, 'listening');
      const exit = await boot({ ...base, HOST: '127.0.0.1', PORT: String(port) });
      expectPlainCause(
        exit,
        new RegExp(
          `^Startup failed: port ${port} on 127\\.0\\.0\\.1 is in use \\(EADDRINUSE\\)\\n$`,
        ),
        jwtSecret,
      );
    } finally {
      occupant.close();
    }
  });

  it('when the database refuses connections, it exits 1 and never prints the password', async () => {
    const password = `pw${randomBytes(16).toString('hex')}`;
    const port = await freePort();
    const exit = await boot({
      ...base,
      DATABASE_URL: `postgres://leakproof:${password}@127.0.0.1:${port}/leakproof`,
    });
    expectPlainCause(
      exit,
      /^Startup failed: starting the modules: Database migration failed/,
      password,
    );
  });

  it('when the SQLite file cannot be created, it exits 1 naming the system call, never the path', async () => {
    const canary = `db${randomBytes(12).toString('hex')}`;
    const file = join(mkdtempSync(join(tmpdir(), 'lp-boot-')), 'not-a-directory');
    writeFileSync(file, '');
    const exit = await boot({ ...base, DATABASE_URL: join(file, canary, 'app.sqlite') });
    expectPlainCause(
      exit,
      /^Startup failed: creating the modules: Error ENOTDIR \(mkdir\)\n$/,
      canary,
    );
  });
});
