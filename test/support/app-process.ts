import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

const MAIN = join(__dirname, '..', '..', 'dist', 'main.js');

/** Every app process this test file started and that has not exited yet. */
const running = new Set<ChildProcess>();

/** SIGKILLs every app process still running and waits until each has exited. */
export async function killAppProcesses(): Promise<void> {
  await Promise.all(
    [...running].map(async (child) => {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }),
  );
}

// Whatever a test file's own hooks did (a beforeAll that timed out while the app was still
// starting, an afterAll that threw), no app process outlives the file: a child left running
// holds its pipes open in Jest's process, and Jest never exits.
afterAll(killAppProcesses);

/** A loopback port nothing listens on right now (bound, then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms);
  });

/** Resolves true when a TCP connection to the loopback port is accepted, false when refused. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}

/** Waits (up to 5 s) until something listens on the loopback port; `what` names it on failure. */
export async function waitForPort(port: number, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await accepts(port)) return;
    await sleep(50);
  }
  throw new Error(`${what} did not start listening on ${port}`);
}

/**
 * The built app (`dist/main.js`, as `npm start` and the container run it) as a child process on
 * a loopback port, with exactly the environment the test gives (no `.env`, nothing inherited but
 * PATH). Its stdout is the JSON log; stderr is kept to show that nothing was printed there.
 */
export class AppProcess {
  readonly url: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;
  private stdout = '';
  private stderr = '';

  private constructor(
    readonly port: number,
    env: Record<string, string>,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.child = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env.PATH ?? '', ...env, HOST: '127.0.0.1', PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(this.child);
    this.child.once('exit', () => running.delete(this.child));
    this.child.stdout?.on('data', (c: Buffer) => (this.stdout += c.toString('utf8')));
    this.child.stderr?.on('data', (c: Buffer) => (this.stderr += c.toString('utf8')));
    this.exited = once(this.child, 'exit').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
    }));
  }

  /**
   * Starts the app and waits (bounded) until `/health/ready` answers 200; when it does not, the
   * child is killed before this rejects.
   */
  static async start(env: Record<string, string>): Promise<AppProcess> {
    const app = new AppProcess(await freePort(), env);
    for (let i = 0; i < 200 && app.running(); i++) {
      try {
        const res = await fetch(`${app.url}/health/ready`, { signal: AbortSignal.timeout(5000) });
        if (res.status === 200) return app;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    app.kill();
    await app.exited;
    throw new Error(`the app did not become ready:\n${app.stderr}\n${app.stdout.slice(-2000)}`);
  }

  running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  kill(): void {
    if (this.running()) this.child.kill('SIGKILL');
  }

  /** Kills the app (SIGKILL) if it still runs, and waits until it has exited. */
  async close(): Promise<void> {
    this.kill();
    await this.exited;
  }

  /**
   * Closes the parent's ends of the child's stdout and stderr, as when the log shipper reading
   * them goes away: the child's next write to either fails with EPIPE.
   */
  closeLogPipes(): void {
    this.child.stdout?.destroy();
    this.child.stderr?.destroy();
  }

  logText(): string {
    return this.stdout;
  }

  errText(): string {
    return this.stderr;
  }

  /** The JSON log lines; a line that is not JSON fails the test (the log is JSON only). */
  logLines(): Record<string, unknown>[] {
    return this.stdout
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  /** Waits (bounded) until a log line with this message appears. */
  async waitForLog(msg: string, timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!this.logLines().some((l) => l.msg === msg)) {
      if (Date.now() > until) throw new Error(`no log line "${msg}"`);
      await sleep(20);
    }
  }
}
