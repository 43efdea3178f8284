import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { envSchema, SECRET_VARIABLES } from '../src/kit/config/env.schema';

const root = join(__dirname, '..');
const read = (file: string): string => readFileSync(join(root, file), 'utf8');

/** Every repository path a document names in backticks: `src/...`, `test/...` and the like. */
function namedPaths(text: string): string[] {
  const paths = new Set<string>();
  for (const m of text.matchAll(
    /`((?:src|test|docs|bench|scripts)\/[^`\s]+|\.spectral\.yaml|SECURITY\.md)`/g,
  )) {
    paths.add(m[1]);
  }
  return [...paths];
}

/** The README's configuration table: one variable per row, with its secret column. */
function readmeTable(readme: string): { name: string; secret: string }[] {
  const start = readme.indexOf('## Configuration');
  const table = readme.slice(start, readme.indexOf('\n## ', start + 1));
  return table
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => {
      const cells = line.split('|').map((c) => c.trim());
      return { name: cells[1].replace(/`/g, ''), secret: cells[4] };
    });
}

/**
 * In a copy whose demo was removed as README's "Removing the demo" says, the documents still
 * describe the demo (they are the kit's documents, shipped with it), so the demo's paths are
 * expected to be gone there; with the demo present they are checked like every other path.
 */
const demoRemoved = !existsSync(join(root, 'src/demo'));
const isDemoPath = (path: string): boolean =>
  ['src/demo', 'test/demo'].some((dir) => path === dir || path.startsWith(`${dir}/`));

describe('Documentation', () => {
  it.each(['docs/threat-model.md', 'README.md', 'docs/adapting.md', 'SECURITY.md'])(
    'when %s names a code or test path, that path exists',
    (doc) => {
      const missing = namedPaths(read(doc))
        .filter((p) => !(demoRemoved && isDemoPath(p)))
        .filter((p) => !existsSync(join(root, p)));
      expect(missing).toEqual([]);
    },
  );

  it('when the threat model is read, every scenario names the code that keeps it and the test that proves it', () => {
    // Numbered sections are the scenarios; "The promises" and "Outside this model" are not.
    const sections = read('docs/threat-model.md')
      .split('\n## ')
      .filter((section) => /^\d+\. /.test(section));
    expect(sections.length).toBeGreaterThanOrEqual(12);
    for (const section of sections) {
      expect(section).toMatch(/\*\*Kept by\.\*\* [^\n]*`src\//);
      expect(section).toMatch(/\*\*Proven by\.\*\*[\s\S]*`(test|src)\/[^`]+(spec\.ts)`/);
    }
  });

  it("when the config schema changes, the README's configuration table lists exactly its variables", () => {
    const schema = [...Object.keys(envSchema.shape), ...SECRET_VARIABLES].sort();
    expect(
      readmeTable(read('README.md'))
        .map((r) => r.name)
        .sort(),
    ).toEqual(schema);
  });

  it('when a variable holds a secret, the README marks it secret, and only then', () => {
    // Secret variables accept NAME_FILE; the public key does too but is not secret, and the
    // database and Redis URLs can carry passwords.
    const secret = [
      ...SECRET_VARIABLES.filter((v) => v !== 'JWT_PUBLIC_KEY'),
      'DATABASE_URL',
      'REDIS_URL',
    ].sort();
    const rows = readmeTable(read('README.md'));
    expect(
      rows
        .filter((r) => r.secret === 'yes')
        .map((r) => r.name)
        .sort(),
    ).toEqual(secret);
    expect(rows.every((r) => r.secret === 'yes' || r.secret === 'no')).toBe(true);
  });
});
