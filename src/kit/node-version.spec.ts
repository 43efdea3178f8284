import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NodeVersion } from './node-version';

const root = join(__dirname, '..', '..');

describe('NodeVersion', () => {
  it('when Node.js is older than the required major, one line names the version to use', () => {
    const line = NodeVersion.problem('20.20.2');
    expect(line).toContain(`Node.js ${NodeVersion.REQUIRED_MAJOR}`);
    expect(line).toContain('20.20.2');
    expect(line).not.toContain('\n');
    expect(NodeVersion.problem('23.11.0')).not.toBeNull();
  });

  it('when Node.js is the required major or newer, there is no problem', () => {
    expect(NodeVersion.problem(`${NodeVersion.REQUIRED_MAJOR}.0.0`)).toBeNull();
    expect(NodeVersion.problem(`${NodeVersion.REQUIRED_MAJOR + 1}.2.3`)).toBeNull();
  });

  it('when .nvmrc, engines and the install settings are read, they all require the same major', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      engines: { node: string };
    };
    expect(readFileSync(join(root, '.nvmrc'), 'utf8').trim()).toBe(
      String(NodeVersion.REQUIRED_MAJOR),
    );
    expect(pkg.engines.node).toBe(`>=${NodeVersion.REQUIRED_MAJOR}`);
    // npm refuses to install on an older Node.js instead of warning and going on.
    expect(readFileSync(join(root, '.npmrc'), 'utf8')).toMatch(/^engine-strict=true$/m);
  });

  it('when main.ts is read, the version check is its first import', () => {
    const main = readFileSync(join(root, 'src', 'main.ts'), 'utf8');
    expect(main.split('\n').find((l) => l.startsWith('import '))).toBe("import './require-node';");
  });
});
