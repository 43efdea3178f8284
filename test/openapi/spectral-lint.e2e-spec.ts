import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { closeStarted } from '../support/cleanup';
import { startTestApp, TestApp } from '../support/test-app';
import { FixtureTokens } from '../support/fixture/fixture-tokens';
import { FixtureModule } from '../support/fixture/fixture.module';

const ROOT = join(__dirname, '..', '..');
const RULESET = join(ROOT, '.spectral.yaml');
const SPECTRAL = join(ROOT, 'node_modules', '@stoplight', 'spectral-cli', 'dist', 'index.js');
const FIXTURE = join(__dirname, 'fixtures', 'credential-in-url.openapi.json');
const ERROR = 0;
const WARNING = 1;

interface Finding {
  code: string;
  severity: number;
  path: string[];
  message: string;
}

/**
 * Runs the Spectral CLI as a developer would (`npx spectral lint FILE`), with the repository's
 * ruleset, and returns its JSON findings. Spectral exits 1 when a finding reaches an error; the
 * findings are in the output file either way.
 */
async function lint(file: string): Promise<Finding[]> {
  const out = join(mkdtempSync(join(tmpdir(), 'lp-spectral-')), 'findings.json');
  const args = [SPECTRAL, 'lint', file, '--ruleset', RULESET, '--format', 'json', '--output', out];
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>(
    (resolve, reject) => {
      const child = spawn(process.execPath, args, {
        cwd: ROOT,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
      child.on('error', reject);
      child.on('close', (exit) => {
        resolve({ code: exit, stderr: err });
      });
    },
  );
  if (code !== 0 && code !== 1) throw new Error(`spectral exited ${String(code)}: ${stderr}`);
  return JSON.parse(readFileSync(out, 'utf8')) as Finding[];
}

/** The rules .spectral.yaml sets to `warn`: the warnings we accept, each with its reason. */
function acceptedWarnings(): Set<string> {
  const text = readFileSync(RULESET, 'utf8');
  return new Set([...text.matchAll(/^ {2}([\w:.-]+): warn\s*$/gm)].map((m) => m[1]));
}

// Each lint starts a Node process that loads Spectral and the OWASP ruleset: seconds of CPU, and
// many more on a loaded 2-core machine than Jest's default 5 s allows (the app's start too).
jest.setTimeout(120_000);

describe('Spectral OWASP lint', () => {
  const tokens = new FixtureTokens();
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp(tokens.env(), [FixtureModule]);
  });
  afterAll(() => closeStarted(app));

  it('when the served document is linted, there is no error and only accepted warnings', async () => {
    const res = await request(app.url).get('/docs-json');
    expect(res.status).toBe(200);
    const file = join(mkdtempSync(join(tmpdir(), 'lp-openapi-')), 'openapi.json');
    writeFileSync(file, res.text);

    const findings = await lint(file);
    const errors = findings.filter((f) => f.severity === ERROR);
    expect(errors.map((f) => `${f.code} at ${f.path.join('/')}: ${f.message}`)).toEqual([]);
    const accepted = acceptedWarnings();
    expect(accepted.size).toBeGreaterThan(0);
    const unlisted = findings.filter((f) => f.severity === WARNING && !accepted.has(f.code));
    expect(unlisted.map((f) => `${f.code} at ${f.path.join('/')}`)).toEqual([]);
  });

  it('when a query or path parameter is named like a credential, the custom rule flags it', async () => {
    const findings = await lint(FIXTURE);
    const flagged = (code: string): string[] =>
      findings
        .filter((f) => f.code === code && f.severity === ERROR)
        .map((f) => {
          const [, path, , , index] = f.path;
          return `${path} #${index}`;
        });
    const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as {
      paths: Record<string, { get: { parameters: { name: string; in: string }[] } }>;
    };
    const named = (entry: string): string => {
      const [path, index] = entry.split(' #');
      const p = fixture.paths[path].get.parameters[Number(index)];
      return `${p.in}:${p.name}`;
    };

    expect(flagged('leakproof-no-credentials-in-url').map(named).sort()).toEqual([
      'path:token',
      'query:access_token',
      'query:api-key',
      'query:api_key',
      'query:apikey',
      'query:key',
      'query:token',
    ]);
    // Positive control: the OWASP ruleset is really loaded (its own rule fires on the same file).
    expect(flagged('owasp:api2:2023-no-credentials-in-url').map(named)).toContain(
      'query:access_token',
    );
  });
});
