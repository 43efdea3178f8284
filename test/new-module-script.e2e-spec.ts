import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const repo = join(__dirname, '..');

/**
 * scripts/new-module.mts on a small stand-in repository: the names it refuses, and where the
 * module it writes goes (its migration number, its place in FEATURES). What the written module
 * is worth (lint, typecheck, its spec, the leak matrix) is proven by `.ci/run` on a full copy.
 */
describe('new:module script', () => {
  let root: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'lp-new-module-'));
    mkdirSync(join(root, 'scripts'));
    cpSync(join(repo, 'scripts/new-module.mts'), join(root, 'scripts/new-module.mts'));
    cpSync(join(repo, '.prettierrc'), join(root, '.prettierrc'));
    symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'));
    const files: Record<string, string> = {
      'src/features.ts': [
        "import type { FeatureModules } from './app.module';",
        "import { ShopModule } from './shop/shop.module';",
        '',
        'export const FEATURES: FeatureModules = [ShopModule];',
        '',
      ].join('\n'),
      'src/kit/api-keys/migrations/0002-api-keys.ts': '',
      'src/shop/migrations/0007-shop-orders.ts': '',
      'src/shop/migrations/0003-shop.ts': '',
      'src/shop/shop.module.ts': 'export class ShopModule {}\n',
      'src/shop/carts.service.ts': 'export class CartsService {}\n',
    };
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(join(root, file, '..'), { recursive: true });
      writeFileSync(join(root, file), text);
    }
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  const run = (...args: string[]) =>
    spawnSync(process.execPath, [join(root, 'scripts/new-module.mts'), ...args], {
      encoding: 'utf8',
    });
  const features = (): string => readFileSync(join(root, 'src/features.ts'), 'utf8');

  it('when a module is added, its migration is numbered after the highest in src/ and FEATURES mounts it last', () => {
    const result = run('order-lines');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const migrations = readFileSync(
      join(root, 'src/order-lines/order-lines.migrations.ts'),
      'utf8',
    );
    expect(migrations).toContain("'0008-order-lines': createOrderLines");
    expect(existsSync(join(root, 'src/order-lines/migrations/0008-order-lines.ts'))).toBe(true);
    expect(existsSync(join(root, 'test/order-lines/order-lines.e2e-spec.ts'))).toBe(true);
    expect(features()).toContain(
      "import { OrderLinesModule } from './order-lines/order-lines.module';",
    );
    expect(features()).toContain('[ShopModule, OrderLinesModule]');
  });

  it.each(['Notes', 'order_lines', 'order--lines', '-notes', '1notes', 'a'.repeat(41)])(
    'when the name is %s, exit 1 with the naming rule and nothing written',
    (name) => {
      const before = features();
      const result = run(name);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('is not a kebab-case name');
      expect(features()).toBe(before);
    },
  );

  it.each([
    ['shop', 'src/shop/'],
    ['api-keys', 'src/kit/api-keys/'],
    ['carts', 'src/shop/carts.service.ts'],
  ])('when %s exists already, exit 1 naming %s and nothing written', (name, where) => {
    const before = features();
    const result = run(name);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('exists already');
    expect(result.stderr).toContain(where);
    expect(features()).toBe(before);
  });

  it('when no name or two are given, exit 1 with the usage', () => {
    for (const args of [[], ['a', 'b']]) {
      const result = run(...args);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('Usage: npm run new:module -- <name>');
    }
  });

  it('when --help is given, the usage goes to stdout with exit 0', () => {
    const result = run('--help');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Usage: npm run new:module -- <name>');
  });
});
