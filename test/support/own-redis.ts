import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { waitForPort } from './app-process';

/**
 * A redis-server of the test's own on a loopback port, nothing kept on disk, that the test can
 * stop (SIGKILL: an outage, not a shutdown) and start again on the same port.
 */
export class OwnRedis {
  private process: ChildProcess | null = null;

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.process = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    await waitForPort(this.port, 'redis-server');
  }

  async stop(): Promise<void> {
    const p = this.process;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    p.kill('SIGKILL');
    await once(p, 'exit');
  }
}
