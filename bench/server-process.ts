import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus } from 'node:os';

export interface ServerSpec {
  /** A compiled script (absolute path) to run with node. */
  script: string;
  env: Record<string, string>;
  /** Any HTTP answer on this path means the server is up. */
  readyPath: string;
  nodeArgs?: readonly string[];
  /** Open an IPC channel (the profiler preload listens on it for "exit"). */
  ipc?: boolean;
  /** Where the app's stdout (its log) goes; /dev/null when unset. */
  logFile?: string;
}

const STDERR_TAIL = 4096;

/**
 * One server under test, as its own process on loopback. With two or more cores and `taskset`
 * available, the server is pinned to core 1 and the load generator (this process) to core 0, so
 * the two never compete for a core.
 */
export class ServerProcess {
  private stderr = '';
  private exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    readonly port: number,
    private readonly child: ChildProcess,
  ) {
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-STDERR_TAIL);
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code) => {
        resolve(code);
      });
    });
  }

  static get pinning(): boolean {
    return cpus().length >= 2 && spawnSync('taskset', ['-V']).status === 0;
  }

  /** Pins this process (the load generator) and all its threads to core 0. */
  static pinSelf(): void {
    if (ServerProcess.pinning) spawnSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)]);
  }

  static async freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
      const probe = createServer();
      probe.once('error', reject);
      probe.listen(0, '127.0.0.1', () => {
        const address = probe.address();
        const port = typeof address === 'object' && address ? address.port : 0;
        probe.close(() => {
          resolve(port);
        });
      });
    });
  }

  static async start(name: string, spec: ServerSpec): Promise<ServerProcess> {
    const port = Number(spec.env.PORT);
    const nodeArgv = [...(spec.nodeArgs ?? []), spec.script];
    const [command, args] = ServerProcess.pinning
      ? ['taskset', ['-c', '1', process.execPath, ...nodeArgv]]
      : [process.execPath, nodeArgv];
    // Only the variables the spec names: nothing from the harness's own environment leaks in.
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...spec.env };
    // stdout (the app's log) goes to /dev/null unless a file is asked for: logging runs as
    // shipped either way; a file adds the cost of real writes.
    const logFd = spec.logFile ? openSync(spec.logFile, 'w') : 'ignore';
    const child = spawn(command, args, {
      env,
      stdio: ['ignore', logFd, 'pipe', ...(spec.ipc ? (['ipc'] as const) : [])],
    });
    if (typeof logFd === 'number') closeSync(logFd);
    const server = new ServerProcess(name, port, child);
    await server.waitReady(spec.readyPath);
    return server;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Resident set size from /proc (Linux), in bytes; 0 where /proc is missing. */
  rssBytes(): number {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
      return kb ? Number(kb) * 1024 : 0;
    } catch {
      return 0;
    }
  }

  /**
   * User plus system CPU seconds the process has used so far (Linux /proc; 0 elsewhere). Per
   * request, this is the server's cost even when other work on the machine steals cycles.
   */
  cpuSeconds(): number {
    try {
      const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
      // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / ServerProcess.clockTicks;
    } catch {
      return 0;
    }
  }

  private static ticks: number | undefined;

  private static get clockTicks(): number {
    ServerProcess.ticks ??=
      Number(spawnSync('getconf', ['CLK_TCK']).stdout.toString().trim()) || 100;
    return ServerProcess.ticks;
  }

  /** Asks the process to leave over IPC (lets `--cpu-prof` write its file), else SIGTERM. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.exited;
    if (this.child.connected) this.child.send('exit');
    else this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  private async waitReady(path: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    const state = { exited: false };
    void this.exited.then(() => {
      state.exited = true;
    });
    while (Date.now() < deadline) {
      if (state.exited) throw new Error(`${this.name} exited before it was ready:\n${this.stderr}`);
      try {
        const res = await fetch(`${this.url}${path}`, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    this.child.kill('SIGKILL');
    throw new Error(`${this.name} was not ready within 30 s:\n${this.stderr}`);
  }
}
