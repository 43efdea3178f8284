import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BenchFixture } from './bench-fixture';
import { CpuProfileSummary } from './cpu-profile-summary';
import { LoadGenerator } from './load-generator';
import { ScenarioCatalog } from './scenario-catalog';
import { ServerFleet } from './server-fleet';
import { ServerProcess } from './server-process';

/**
 * `npm run bench:profile [-- --scenario leakproof-jwt-rs256 --duration 15]`: runs one scenario
 * against a server started with `node --cpu-prof`, then prints where the server's time went and
 * keeps the `.cpuprofile` (open it in Chrome DevTools) under bench/.out/profiles/.
 */
const ROOT = resolve(__dirname, '..', '..', '..');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      dist: { type: 'string' },
      scenario: { type: 'string', default: 'leakproof-jwt-rs256' },
      duration: { type: 'string', default: '15' },
      connections: { type: 'string', default: '10' },
    },
  });
  const dir = join(ROOT, 'bench', '.out', 'profiles');
  mkdirSync(dir, { recursive: true });
  ServerProcess.pinSelf();
  const fixture = new BenchFixture();
  const catalog = new ScenarioCatalog(fixture, ROOT, resolve(values.dist ?? join(ROOT, 'dist')));
  const scenario = catalog.scenarios(true).find((s) => s.id === values.scenario);
  if (!scenario) throw new Error(`unknown scenario ${values.scenario}`);
  const started = Date.now();
  const nodeArgs = [
    '--cpu-prof',
    `--cpu-prof-dir=${dir}`,
    `--require=${join(__dirname, 'profile-exit.preload.js')}`,
  ];
  const fleet = await ServerFleet.start([scenario.server], catalog, fixture, nodeArgs);
  try {
    const load = new LoadGenerator(Number(values.connections), Number(values.duration));
    const sample = await load.run(fleet.target(scenario));
    process.stdout.write(`${scenario.id}: ${Math.round(sample.requestsPerSecond)} req/s\n`);
  } finally {
    await fleet.stopAll();
    fixture.cleanup();
  }
  const written = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).mtimeMs >= started)
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  if (!written) throw new Error('no profile was written');
  const summary = new CpuProfileSummary(written).text();
  writeFileSync(`${written}.${scenario.id}.txt`, summary);
  process.stdout.write(`${summary}\nprofile: ${written}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `profile failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exitCode = 1;
});
