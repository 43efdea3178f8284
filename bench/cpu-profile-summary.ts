import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const IDLE = new Set(['(idle)', '(program)']);

/**
 * Reads a V8 `.cpuprofile` (written by `node --cpu-prof`) and says where the time went: self
 * time per function, and self and inclusive time per package (a node_modules package, a file of
 * ours, node's internals, or V8's garbage collector). Idle time is left out of the shares.
 */
export class CpuProfileSummary {
  private readonly self = new Map<string, number>();
  private readonly selfByPackage = new Map<string, number>();
  private readonly inclusiveByPackage = new Map<string, number>();
  private busy = 0;

  constructor(path: string) {
    const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
    profile.samples.forEach((id, i) => {
      const node = byId.get(id);
      const dt = profile.timeDeltas[i] ?? 0;
      if (!node || IDLE.has(node.callFrame.functionName)) return;
      this.busy += dt;
      const frame = node.callFrame;
      const fn = `${frame.functionName || '(anonymous)'} ${CpuProfileSummary.shortUrl(frame.url)}:${frame.lineNumber + 1}`;
      this.self.set(fn, (this.self.get(fn) ?? 0) + dt);
      const own = CpuProfileSummary.bucket(node);
      this.selfByPackage.set(own, (this.selfByPackage.get(own) ?? 0) + dt);
      const seen = new Set<string>();
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const n = byId.get(at);
        if (n) seen.add(CpuProfileSummary.bucket(n));
      }
      for (const b of seen)
        this.inclusiveByPackage.set(b, (this.inclusiveByPackage.get(b) ?? 0) + dt);
    });
  }

  text(top = 30): string {
    const share = (us: number): string => `${((100 * us) / Math.max(1, this.busy)).toFixed(1)}%`;
    const list = (m: Map<string, number>, n: number): string[] =>
      [...m]
        .sort((a, b) => b[1] - a[1])
        .slice(0, n)
        .map(([k, v]) => `  ${share(v).padStart(6)}  ${k}`);
    return [
      `busy time ${(this.busy / 1000).toFixed(0)} ms (idle excluded)`,
      'self time by function:',
      ...list(this.self, top),
      'self time by package:',
      ...list(this.selfByPackage, 25),
      'inclusive time by package (a sample counts once for each package on its stack):',
      ...list(this.inclusiveByPackage, 25),
    ].join('\n');
  }

  private static bucket(node: ProfileNode): string {
    const { url, functionName } = node.callFrame;
    if (!url) return functionName.startsWith('(') ? functionName : '(native)';
    if (url.startsWith('node:')) return 'node: internals';
    const nm = url.lastIndexOf('/node_modules/');
    if (nm >= 0) {
      const rest = url.slice(nm + '/node_modules/'.length).split('/');
      return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
    }
    return `leakproof ${CpuProfileSummary.shortUrl(url)}`;
  }

  /** node_modules paths from the package on; our build output (dist/ or a saved build) as src/. */
  private static shortUrl(url: string): string {
    const nm = url.lastIndexOf('/node_modules/');
    if (nm >= 0) return url.slice(nm + '/node_modules/'.length);
    const built = /\/(?:dist|\.out\/app-[^/]+)\/(.*)$/.exec(url);
    return built ? `src/${built[1]}` : url.replace(/^file:\/\//, '');
  }
}
