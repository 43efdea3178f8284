import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { format } from 'prettier';
import { BenchFixture } from './bench-fixture';
import { LoadGenerator, type LoadSample, type LoadTarget } from './load-generator';
import { ResultsReport } from './results-report';
import { ScenarioCatalog, type Scenario } from './scenario-catalog';
import { ServerFleet } from './server-fleet';
import { ServerProcess } from './server-process';

/**
 * `npm run bench [-- --rounds 5 --duration 10 --warmup 3 --connections 10 --diagnostics
 * --only id,id --dist DIR --compare DIR,DIR --without STAGE,STAGE+STAGE --logs DIR]` measures
 * every scenario in interleaved rounds and writes bench/RESULTS.md. `--compare` runs other
 * builds' Leakproof scenarios beside the first, in the same rounds, for before/after figures
 * taken under the same conditions. `--without` runs the JWT scenario on servers of the same
 * build with the named request-pipeline stages taken out (one server per comma-separated entry,
 * `+` joins stages): the per-layer cost table.
 * `npm run bench:smoke` runs each scenario once for a moment and fails when one answered a
 * status it should not; it never judges a speed.
 */
const ROOT = resolve(__dirname, '..', '..', '..');

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      dist: { type: 'string' },
      compare: { type: 'string' },
      logs: { type: 'string' },
      smoke: { type: 'boolean', default: false },
      rounds: { type: 'string', default: '5' },
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '3' },
      connections: { type: 'string', default: '10' },
      diagnostics: { type: 'boolean', default: false },
      only: { type: 'string' },
      without: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const smoke = values.smoke;
  const rounds = smoke ? 1 : Number(values.rounds);
  const seconds = smoke ? 1 : Number(values.duration);
  const warmup = smoke ? 0 : Number(values.warmup);
  const connections = smoke ? 4 : Number(values.connections);
  const only = values.only?.split(',').map((s) => s.trim());

  ServerProcess.pinSelf();
  const fixture = new BenchFixture();
  const catalog = new ScenarioCatalog(
    fixture,
    ROOT,
    resolve(values.dist ?? join(ROOT, 'dist')),
    (values.compare?.split(',') ?? []).map((dir) => resolve(dir)),
    values.logs === undefined ? undefined : resolve(values.logs),
    values.without?.split(',').map((s) => s.trim()) ?? [],
  );
  if (values.logs !== undefined) mkdirSync(resolve(values.logs), { recursive: true });
  const scenarios = catalog
    .scenarios(values.diagnostics)
    .filter(
      (s) =>
        !only || only.includes(s.id.replace(/@(compare|without)\d+$/, '')) || s.id === 'baseline',
    );
  const fleet = await ServerFleet.start(
    [...new Set(scenarios.map((s) => s.server))],
    catalog,
    fixture,
  );
  const load = new LoadGenerator(connections, seconds);
  const report = new ResultsReport();
  const target = (s: Scenario): LoadTarget => fleet.target(s);
  const measure = async (s: Scenario, secondsOverride?: number): Promise<LoadSample> => {
    const server = fleet.get(s.server);
    const before = server.cpuSeconds();
    const sample = await load.run(target(s), secondsOverride);
    const answered = Object.values(sample.statusCounts).reduce((a, b) => a + b, 0);
    const cpu = server.cpuSeconds() - before;
    return { ...sample, cpuMicrosPerRequest: answered > 0 ? (cpu * 1e6) / answered : 0 };
  };
  try {
    for (const scenario of scenarios) {
      if (warmup > 0) await load.run(target(scenario), warmup);
    }
    for (let round = 1; round <= rounds; round++) {
      for (const scenario of scenarios) {
        const sample = await measure(scenario);
        report.add(scenario, sample);
        process.stdout.write(
          `round ${round}/${rounds} ${scenario.id}: ${Math.round(sample.requestsPerSecond)} req/s, ${Math.round(sample.cpuMicrosPerRequest ?? 0)} µs CPU/req, p99 ${sample.p99} ms, ${JSON.stringify(sample.statusCounts)}\n`,
        );
      }
    }
  } finally {
    await fleet.stopAll();
    fixture.cleanup();
  }

  process.stdout.write(`\n${report.table()}\n`);
  const failures = report.failures();
  if (smoke) {
    for (const f of failures) process.stderr.write(`bench smoke: ${f}\n`);
    process.stdout.write(
      failures.length === 0 ? 'bench smoke: every scenario answered as intended\n' : '',
    );
    return failures.length === 0 ? 0 : 1;
  }
  const markdown = report.markdown(
    {
      rounds,
      seconds,
      warmupSeconds: warmup,
      connections,
      pinned: ServerProcess.pinning,
      bodyBytes: Buffer.byteLength(fleet.body),
    },
    [
      ...(values.dist === undefined
        ? []
        : [
            `Leakproof build: \`${relative(ROOT, resolve(values.dist))}\` (a saved \`npm run build\`).`,
          ]),
      ...failures.map((f) => `Unexpected answers: ${f}`),
    ],
  );
  const out = values.out ?? join(ROOT, 'bench', 'RESULTS.md');
  mkdirSync(join(ROOT, 'bench', '.out'), { recursive: true });
  // Formatted as `npm run lint` (prettier --check) expects a committed file to be.
  writeFileSync(out, await format(markdown, { parser: 'markdown' }));
  process.stdout.write(`wrote ${out}\n`);
  return failures.length === 0 ? 0 : 1;
}

main()
  .then((code) => {
    process.exitCode = code;
  })
  .catch((error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
  });
