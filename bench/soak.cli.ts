import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { format } from 'prettier';
import { BenchFixture } from './bench-fixture';
import { LoadGenerator } from './load-generator';
import { ScenarioCatalog } from './scenario-catalog';
import { ServerFleet } from './server-fleet';
import { ServerProcess } from './server-process';

/**
 * `npm run bench:soak [-- --duration 90 --interval 5 --warmup 30]`: the JWT route under
 * constant load, sampling the server's resident memory after a full garbage collection, so
 * that what is measured is what the process keeps. After the warm-up (30 s, then the 60 s the
 * soak is judged on) the RSS must stay flat (growth under 10%) with zero errors; the run writes
 * bench/SOAK.md and exits non-zero when either fails.
 */
const ROOT = resolve(__dirname, '..', '..', '..');
const MAX_GROWTH = 0.1;
/** How long a sample waits after asking the server for a full garbage collection. */
const SETTLE_MS = 1000;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      dist: { type: 'string' },
      duration: { type: 'string', default: '90' },
      interval: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '30' },
      connections: { type: 'string', default: '10' },
    },
  });
  const duration = Number(values.duration);
  const interval = Number(values.interval);
  const warmup = Number(values.warmup);
  ServerProcess.pinSelf();
  const fixture = new BenchFixture();
  const catalog = new ScenarioCatalog(fixture, ROOT, resolve(values.dist ?? join(ROOT, 'dist')));
  const scenario = catalog.scenarios(false).find((s) => s.id === 'leakproof-jwt-rs256');
  if (!scenario) throw new Error('the JWT scenario is missing');
  const fleet = await ServerFleet.start([scenario.server], catalog, fixture, [
    '--expose-gc',
    `--require=${join(__dirname, 'soak-gc.preload.js')}`,
  ]);
  const server = fleet.get(scenario.server);
  const samples: { at: number; rss: number }[] = [];
  const t0 = Date.now();
  /** The RSS once the server has run a full garbage collection (soak-gc.preload.ts). */
  const sample = async (): Promise<void> => {
    process.kill(server.pid, 'SIGUSR2');
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    samples.push({ at: (Date.now() - t0) / 1000, rss: server.rssBytes() });
  };
  await sample();
  const timer = setInterval(() => {
    void sample();
  }, interval * 1000);
  let result;
  try {
    result = await new LoadGenerator(Number(values.connections), duration).run(
      fleet.target(scenario),
    );
    clearInterval(timer);
    await sample();
  } finally {
    clearInterval(timer);
    await fleet.stopAll();
    fixture.cleanup();
  }
  const afterWarmup = samples.find((s) => s.at >= warmup) ?? samples[0];
  const last = samples[samples.length - 1];
  const growth = (last.rss - afterWarmup.rss) / afterWarmup.rss;
  const unexpected = Object.entries(result.statusCounts)
    .filter(([status]) => status !== '200')
    .reduce((n, [, c]) => n + c, 0);
  const total = Object.values(result.statusCounts).reduce((a, b) => a + b, 0);
  const mb = (b: number): string => (b / 1048576).toFixed(1);
  const ok = growth < MAX_GROWTH && result.errors === 0 && unexpected === 0;
  const text = [
    '# Soak: Leakproof JWT route (RS256) under constant load',
    '',
    'Written by `npm run bench:soak` (bench/soak.cli.ts).',
    '',
    `- Date: ${new Date().toISOString()}; Node.js ${process.version}`,
    `- ${duration} s of \`GET /items\` with one valid token, ${values.connections} connections; RSS sampled every ${interval} s from /proc, each one second after the server ran a full garbage collection (bench/soak-gc.preload.ts); warm-up ${warmup} s.`,
    `- Requests: ${total.toLocaleString('en-US')} (${Math.round(result.requestsPerSecond)} req/s), socket errors: ${result.errors}, non-200 answers: ${unexpected}`,
    `- RSS after warm-up ${mb(afterWarmup.rss)} MB, at the end ${mb(last.rss)} MB: growth ${(growth * 100).toFixed(1)}% (limit ${MAX_GROWTH * 100}%), peak ${mb(Math.max(...samples.map((s) => s.rss)))} MB`,
    `- Verdict: ${ok ? 'flat, zero errors' : 'FAILED'}`,
    '',
    '| t (s) | RSS (MB) |',
    '| ---: | ---: |',
    ...samples.map((s) => `| ${s.at.toFixed(0)} | ${mb(s.rss)} |`),
    '',
  ].join('\n');
  writeFileSync(join(ROOT, 'bench', 'SOAK.md'), await format(text, { parser: 'markdown' }));
  process.stdout.write(text);
  return ok ? 0 : 1;
}

main()
  .then((code) => {
    process.exitCode = code;
  })
  .catch((error: unknown) => {
    process.stderr.write(
      `soak failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
  });
