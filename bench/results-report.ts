import { cpus, platform, release } from 'node:os';
import type { LoadSample } from './load-generator';
import type { Scenario } from './scenario-catalog';

export interface RunSettings {
  rounds: number;
  seconds: number;
  warmupSeconds: number;
  connections: number;
  pinned: boolean;
  bodyBytes: number;
}

interface Row {
  scenario: Scenario;
  rps: number;
  spread: number;
  p50: number;
  p99: number;
  ratio: number | null;
  cpuMicros: number;
  cpuRatio: number | null;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/**
 * Medians across rounds, spread, latency and the ratio to the baseline, as a Markdown table.
 * Only ratios travel between machines; absolute numbers are this machine's.
 */
export class ResultsReport {
  private readonly samples = new Map<string, { scenario: Scenario; runs: LoadSample[] }>();

  add(scenario: Scenario, sample: LoadSample): void {
    const entry = this.samples.get(scenario.id) ?? { scenario, runs: [] };
    entry.runs.push(sample);
    this.samples.set(scenario.id, entry);
  }

  /** Scenarios that answered anything but their one expected status, or had socket errors. */
  failures(): string[] {
    const out: string[] = [];
    for (const { scenario, runs } of this.samples.values()) {
      for (const run of runs) {
        const statuses = Object.keys(run.statusCounts);
        const total = Object.values(run.statusCounts).reduce((a, b) => a + b, 0);
        if (
          total === 0 ||
          run.errors > 0 ||
          statuses.some((s) => s !== String(scenario.expectStatus))
        ) {
          out.push(
            `${scenario.id}: expected only ${scenario.expectStatus}, got ${JSON.stringify(run.statusCounts)} and ${run.errors} errors`,
          );
        }
      }
    }
    return out;
  }

  table(): string {
    const rows = this.rows();
    const lines = [
      '| scenario | req/s (median) | spread | p50 ms | p99 ms | ratio to baseline | server CPU µs/req | ratio by CPU |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...rows.map(
        (r) =>
          `| ${r.scenario.label} | ${Math.round(r.rps).toLocaleString('en-US')} | ±${(r.spread * 50).toFixed(1)}% | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${ResultsReport.fixed(r.ratio)} | ${Math.round(r.cpuMicros)} | ${ResultsReport.fixed(r.cpuRatio)} |`,
      ),
    ];
    return lines.join('\n');
  }

  /**
   * The `--without` rows against their full twin: a layer's cost is the median, over the rounds,
   * of the full server's CPU per request less the one without it, measured in the same round.
   */
  layerTable(): string {
    const rows: string[] = [];
    for (const [id, { scenario, runs }] of this.samples) {
      const match = /^(.*)@without\d+$/.exec(id);
      const full = match ? this.samples.get(match[1]) : undefined;
      if (!match || !full) continue;
      const cpu = (r: LoadSample): number => r.cpuMicrosPerRequest ?? 0;
      const fullCpu = median(full.runs.map(cpu));
      const cost = median(runs.map((r, i) => cpu(full.runs[i] ?? r) - cpu(r)));
      const layer = /\[without (.*)\]$/.exec(scenario.label)?.[1] ?? id;
      rows.push(
        `| ${layer} | ${Math.round(median(runs.map(cpu)))} | ${Math.round(cost)} | ${fullCpu > 0 ? ((100 * cost) / fullCpu).toFixed(0) : 'n/a'}% |`,
      );
    }
    if (rows.length === 0) return '';
    return [
      `| layer taken out of \`${[...this.samples.keys()].find((k) => k.includes('@without'))?.replace(/@without\d+$/, '') ?? ''}\` | server CPU µs/req without it | cost µs/req (median of per-round differences) | share of the full route |`,
      '| --- | ---: | ---: | ---: |',
      ...rows,
    ].join('\n');
  }

  markdown(settings: RunSettings, extraNotes: readonly string[] = []): string {
    const cpuList = cpus();
    const models = [...new Set(cpuList.map((c) => c.model.trim()))].join(', ');
    return [
      '# Benchmark results',
      '',
      'Written by `npm run bench` (bench/bench.cli.ts). Only the ratios travel between machines;',
      'the absolute numbers are this machine’s.',
      '',
      `- Date: ${new Date().toISOString()}`,
      `- Machine: ${cpuList.length} × ${models}; ${platform()} ${release()}`,
      `- Node.js ${process.version}`,
      `- Method: each server is its own process on 127.0.0.1${settings.pinned ? ', pinned to core 1 with taskset; the load generator (autocannon, in the harness) on core 0' : ' (no pinning: fewer than 2 cores or no taskset)'}. ${settings.connections} connections, no pipelining. Warm-up ${settings.warmupSeconds} s per scenario, then ${settings.rounds} interleaved rounds (A B C … A B C …) of ${settings.seconds} s each. Figures are medians over the rounds; spread is ±half the range of req/s relative to the median; p50/p99 are the medians of each round’s percentiles. Server CPU µs/req is the server process’s user+system CPU time during a round divided by the requests it answered (from /proc), and “ratio by CPU” is the baseline’s CPU per request over the scenario’s: unlike req/s it holds when other work shares the machine. Each ratio is to the baseline serving the same route (the API-key row: to the baseline’s PUT); the 401 and 404 rows, which read no database, are taken against the static body, the stricter yardstick, and so is raw node:http, which serves it.`,
      `- Every GET scenario answers the same ${settings.bodyBytes}-byte JSON body (Leakproof’s own \`GET /items\` with one item). The baseline and the typical stack read it as Leakproof does: the same Kysely query through Leakproof’s node:sqlite adapter on a SQLite file made by Leakproof’s migrations (bench/bench-items.store.ts), so a ratio prices the security layers, not the database. “Static body” serves the bytes from memory (the yardstick of the first tables), as does raw node:http.`,
      '- Leakproof runs as shipped: `dist/main.js` with `NODE_ENV=production`, `LOG_LEVEL=info` (one access-log line per request, to /dev/null), a SQLite file, a run-time generated key and pepper.',
      ...extraNotes.map((n) => `- ${n}`),
      '',
      this.table(),
      '',
      ...(this.layerTable()
        ? [
            '## Per-layer cost',
            '',
            'Each row is the same build with one request-pipeline stage taken out at start-up (`npm run bench -- --without <stage>,<stage>+<stage>`, bench/without-stages.preload.ts), run in the same rounds as the full server: what that layer costs on this route. The differences do not add up exactly to the total: a layer taken out also takes its share of garbage collection and of the work of the layers after it.',
            '',
            this.layerTable(),
            '',
          ]
        : []),
    ].join('\n');
  }

  private static fixed(ratio: number | null): string {
    return ratio === null || !Number.isFinite(ratio) ? 'n/a' : ratio.toFixed(2);
  }

  private rows(): Row[] {
    const medians = (id: string): { rps: number; cpu: number } | null => {
      const entry = this.samples.get(id);
      if (!entry) return null;
      return {
        rps: median(entry.runs.map((r) => r.requestsPerSecond)),
        cpu: median(entry.runs.map((r) => r.cpuMicrosPerRequest ?? 0)),
      };
    };
    return [...this.samples.values()].map(({ scenario, runs }) => {
      // Each scenario against its own yardstick: the baseline serving the same route.
      const base = medians(scenario.baselineId ?? 'baseline');
      const rpsList = runs.map((r) => r.requestsPerSecond);
      const rps = median(rpsList);
      const cpuMicros = median(runs.map((r) => r.cpuMicrosPerRequest ?? 0));
      return {
        scenario,
        rps,
        spread: rps > 0 ? (Math.max(...rpsList) - Math.min(...rpsList)) / rps : 0,
        p50: median(runs.map((r) => r.p50)),
        p99: median(runs.map((r) => r.p99)),
        ratio: base && base.rps > 0 ? rps / base.rps : null,
        cpuMicros,
        cpuRatio: base && base.cpu > 0 && cpuMicros > 0 ? base.cpu / cpuMicros : null,
      };
    });
  }
}
