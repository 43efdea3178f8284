import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import request from 'supertest';
import { FEATURES } from '../src/features';
import { ApiKeyFormat } from '../src/kit/api-keys/api-key-format';
import { closeStarted } from './support/cleanup';
import { FixtureTokens } from './support/fixture/fixture-tokens';
import { FixtureModule } from './support/fixture/fixture.module';
import { WIDGET_SCOPES } from './support/fixture/widget.schema';
import { startTestApp, TestApp } from './support/test-app';
import { TokenFactory } from './support/tokens';

/** The fixture's key route's scope; the CLI runs on the app's own modules, which lack it. */
const SCOPE = WIDGET_SCOPES.stock;

const ROOT = join(__dirname, '..');
const CLI = join(ROOT, 'src/cli/api-key.cli.ts');
const REGISTER = join(ROOT, 'scripts/swc-register.mts');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The key CLI as a user runs it: a separate process, against a SQLite file, sharing it with a
 * running app. It starts from the TypeScript sources (scripts/swc-register.mts), so the test
 * needs no build. The CLI mounts the app's own modules (src/features.ts), whose migrations must
 * match the database's, so the app here mounts them too, beside the fixture whose key route the
 * keys open; API_KEY_ALLOWED_SCOPES lets keys carry the fixture's scope, whatever the features.
 */
describe('api-key CLI', () => {
  const tokens = new FixtureTokens();
  const dir = mkdtempSync(join(tmpdir(), 'lp-cli-'));
  const env = {
    NODE_ENV: 'test',
    DATABASE_URL: join(dir, 'keys.sqlite'),
    API_KEY_PEPPER: randomBytes(32).toString('base64url'),
    API_KEY_ALLOWED_SCOPES: SCOPE,
    ...tokens.env(),
  };
  const printed: string[] = [];
  const outputs: string[] = [];
  let app: TestApp;
  let widgetId: string;

  jest.setTimeout(60_000);

  const cli = (...args: string[]): Promise<Run> => cliWith({}, ...args);

  /** The CLI with `extra` added to its environment. */
  function cliWith(extra: Record<string, string>, ...args: string[]): Promise<Run> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        ['--import', REGISTER, CLI, ...args],
        { cwd: dir, env: { PATH: process.env.PATH, ...env, ...extra }, timeout: 30_000 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
          outputs.push(stderr);
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  async function create(...extra: string[]): Promise<{ key: string; id: string; run: Run }> {
    const run = await cli('create', '--name', 'ci', '--scope', SCOPE, ...extra);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    const key = run.stdout.trimEnd();
    printed.push(key);
    const parsed = ApiKeyFormat.parse(key);
    if (!parsed.valid) throw new Error('create did not print a key');
    return { key, id: parsed.publicId, run };
  }

  const putStock = (key: string) =>
    request(app.url)
      .put(`/fixture/widgets/${widgetId}/stock`)
      .set('X-API-Key', key)
      .send({ stock: 9 });

  beforeAll(async () => {
    app = await startTestApp(env, [...FEATURES, FixtureModule]);
    const res = await request(app.url)
      .post('/fixture/widgets')
      .set('Authorization', `Bearer ${tokens.rs256()}`)
      .send({ name: 'crate', stock: 1 });
    widgetId = (res.body as { id: string }).id;
  });
  afterAll(async () => {
    await closeStarted(app);
    rmSync(dir, { recursive: true, force: true });
  });

  it('when create succeeds, stdout is the key alone on one line and the app accepts it', async () => {
    const { key, id, run } = await create('--expires', '90d');
    expect(run.stdout).toBe(`${key}\n`);
    expect(run.stderr).toContain(id);
    expect(run.stderr).toContain('not shown again');
    expect((await putStock(key)).status).toBe(200);
  });

  it('when keys are listed, stdout shows metadata and never a key or a digest', async () => {
    const { id } = await create();
    const run = await cli('list');
    expect(run.code).toBe(0);
    outputs.push(run.stdout);
    expect(run.stdout.split('\n')[0]).toBe('id\tstatus\tname\tscopes\texpires\tlast used');
    expect(run.stdout).toMatch(new RegExp(`^${id}\tactive\tci\t${SCOPE}\t`, 'm'));
    const sqlite = new DatabaseSync(env.DATABASE_URL, { readOnly: true });
    const digests = sqlite.prepare('select digest from api_keys').all() as { digest: string }[];
    sqlite.close();
    expect(digests.length).toBeGreaterThan(0);
    for (const { digest } of digests) expect(run.stdout).not.toContain(digest);
  });

  it('when a key is revoked with the CLI, the app refuses it', async () => {
    const { key, id } = await create();
    const run = await cli('revoke', id);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`Revoked ${id}`);
    expect((await putStock(key)).status).toBe(401);
  });

  it('when a key is rotated with the CLI, the new key is printed and both work during the overlap', async () => {
    const { key, id } = await create();
    const run = await cli('rotate', id, '--overlap', '1h');
    expect(run.code).toBe(0);
    const successor = run.stdout.trimEnd();
    printed.push(successor);
    expect(run.stdout).toBe(`${successor}\n`);
    expect(ApiKeyFormat.parse(successor).valid).toBe(true);
    expect(successor).not.toBe(key);
    expect(run.stderr).toContain(`Rotated ${id}`);
    expect((await putStock(key)).status).toBe(200);
    expect((await putStock(successor)).status).toBe(200);
    const again = await cli('rotate', id);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('rotated already');
    expect(again.stdout).toBe('');
  });

  // Concurrent: each case is its own process and none touches the database.
  it.concurrent.each([
    ['no command', [], 'no command'],
    ['an unknown command', ['mint'], 'unknown command'],
    ['an unknown option', ['list', '--all'], 'unknown option'],
    ['create without a name', ['create', '--scope', SCOPE], '--name: required'],
    ['create without a scope', ['create', '--name', 'ci'], '--scope: invalid'],
    ['a bad scope', ['create', '--name', 'ci', '--scope', 'Stock Write'], '--scope: invalid'],
    ['a bad duration', ['create', '--name', 'ci', '--scope', 'a', '--expires', '90'], '--expires'],
    ['an option of another command', ['revoke', 'AAAAAAAAAAAA', '--name', 'x'], '--name'],
    ['revoke without an id', ['revoke'], 'exactly one key id'],
    ['a malformed id', ['revoke', 'x'], '12 letters and digits'],
  ])(
    'when given %s, it exits 2 with usage on stderr and nothing on stdout',
    async (_n, args, says) => {
      const run = await cli(...args);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain(says);
      expect(run.stderr).toContain('usage: npm run api-key');
    },
  );

  it.concurrent.each(['--help', '-h', 'help', 'list --help'])(
    'when asked for help with `%s`, it prints the usage on stdout and exits 0',
    async (args) => {
      const run = await cli(...args.split(' '));
      expect(run).toEqual({
        code: 0,
        stdout: expect.stringMatching(/^usage: npm run api-key/),
        stderr: '',
      });
    },
  );

  it.each([
    ['a key', () => ApiKeyFormat.generate('test').key],
    ['a JWT', () => TokenFactory.signHs(randomBytes(32), { alg: 'HS256' }, { sub: 'x' })],
  ])(
    'when %s is pasted where a name goes, exit 2 names the rule and does not echo it',
    async (_what, make) => {
      const secret = make();
      const run = await cli('create', '--name', secret, '--scope', SCOPE);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain('--name: secret_shaped');
      expect(run.stderr).not.toContain(secret);
    },
  );

  it.each([
    ['api-keys:admin', 'api-keys:admin'],
    ['a scope not in API_KEY_ALLOWED_SCOPES', 'reports:export'],
  ])(
    'when create asks for %s, exit 2 names the rule, prints no key and makes none',
    async (_what, scope) => {
      const run = await cli('create', '--name', 'over-scoped', '--scope', SCOPE, '--scope', scope);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain('--scope: scope_not_allowed');
      expect(run.stderr).toContain(`API keys may carry: ${SCOPE}`);
      const list = await cli('list');
      expect(list.stdout).not.toContain('over-scoped');
    },
  );

  it('when API_KEY_ALLOWED_SCOPES changes, the CLI follows it', async () => {
    const allowed = { API_KEY_ALLOWED_SCOPES: 'reports:export' };
    const made = await cliWith(allowed, 'create', '--name', 'reports', '--scope', 'reports:export');
    expect(made.code).toBe(0);
    printed.push(made.stdout.trimEnd());
    const refused = await cliWith(allowed, 'create', '--name', 'ci', '--scope', SCOPE);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      '--scope: scope_not_allowed (API keys may carry: reports:export)',
    );
  });

  it('when a key carries a scope keys may no longer have, rotate exits 1 naming the rule', async () => {
    const made = await cliWith(
      { API_KEY_ALLOWED_SCOPES: 'legacy:all' },
      'create',
      '--name',
      'legacy',
      '--scope',
      'legacy:all',
    );
    expect(made.code).toBe(0);
    const key = made.stdout.trimEnd();
    printed.push(key);
    const parsed = ApiKeyFormat.parse(key);
    if (!parsed.valid) throw new Error('create did not print a key');
    const run = await cli('rotate', parsed.publicId);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('scope_not_allowed');
    expect(run.stderr).toContain('revoke it and create a new key');
  });

  it('when the id is well-formed but unknown, exit 1 with a clear message', async () => {
    const run = await cli('revoke', 'AAAAAAAAAAAA');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('No API key has this id.');
  });

  it('when everything above has run, no key printed on stdout appeared on stderr or in list output', () => {
    expect(printed.length).toBeGreaterThan(3);
    const text = outputs.join('\n');
    for (const key of printed) {
      expect(text.includes(key)).toBe(false);
      expect(text.includes(key.slice(21, 53))).toBe(false);
    }
  });
});
