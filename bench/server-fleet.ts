import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { BenchFixture } from './bench-fixture';
import type { LoadTarget } from './load-generator';
import { ScenarioCatalog, type Scenario, type ServerKey } from './scenario-catalog';
import { ServerProcess } from './server-process';

/** What the comparison apps answer when no Leakproof server ran to copy the body from. */
const FALLBACK_BODY = JSON.stringify([
  {
    id: '00000000-0000-4000-8000-000000000000',
    name: 'widget',
    stock: 3,
    createdAt: new Date(0).toISOString(),
  },
]);

/**
 * Starts the servers a run needs. Leakproof first: each instance gets one item through its own
 * API (POST /items with a write-scoped token), and its `GET /items` body becomes the body the
 * comparison apps serve, so every scenario answers the same bytes.
 */
export class ServerFleet {
  readonly body: string;
  /** Per Leakproof server: the seeded item's id and an API key made with the CLI. */
  private readonly seeds = new Map<ServerKey, { itemId: string; apiKey: string }>();

  private constructor(
    private readonly servers: Map<ServerKey, ServerProcess>,
    body: string,
  ) {
    this.body = body;
  }

  /** What the load generator sends for a scenario, `{itemId}` and `{apiKey}` filled in. */
  target(s: Scenario): LoadTarget {
    const seed = this.seeds.get(s.server);
    const fill = (text: string): string =>
      seed ? text.replaceAll('{itemId}', seed.itemId).replaceAll('{apiKey}', seed.apiKey) : text;
    return {
      url: this.get(s.server).url,
      path: fill(s.path),
      method: s.method,
      body: s.body,
      headers: Object.fromEntries(Object.entries(s.headers ?? {}).map(([k, v]) => [k, fill(v)])),
      authorizationPerRequest: s.authorizationPerRequest,
    };
  }

  static async start(
    keys: readonly ServerKey[],
    catalog: ScenarioCatalog,
    fixture: BenchFixture,
    nodeArgs: string[] = [],
  ): Promise<ServerFleet> {
    const servers = new Map<ServerKey, ServerProcess>();
    const apiKeys = new Map<ServerKey, string>();
    const itemIds = new Map<ServerKey, string>();
    const fleet = (body: string): ServerFleet => new ServerFleet(servers, body);
    try {
      const leakproof = keys.filter((k) => ScenarioCatalog.isLeakproof(k));
      await ServerFleet.settle(
        leakproof.map(async (key) => {
          const port = await ServerProcess.freePort();
          const spec = catalog.serverSpec(key, port, '', nodeArgs);
          // The key is made before the server starts, by the CLI, against the same database.
          apiKeys.set(key, ServerFleet.createApiKey(catalog.distFor(key), spec.env));
          servers.set(key, await ServerProcess.start(key, spec));
        }),
      );
      let body = FALLBACK_BODY;
      for (const key of leakproof) {
        const server = servers.get(key);
        if (!server) continue;
        const variant = ScenarioCatalog.variantOf(key);
        body = await ServerFleet.seed(server, fixture.token(variant, 'items:read items:write'));
        itemIds.set(key, (JSON.parse(body) as { id: string }[])[0].id);
      }
      // After the seeding, one at a time: they share the seeded database of leakproof-rs256,
      // and each start runs the migrations.
      for (const key of keys.filter((k) => ScenarioCatalog.isWithout(k))) {
        const port = await ServerProcess.freePort();
        servers.set(
          key,
          await ServerProcess.start(key, catalog.serverSpec(key, port, '', nodeArgs)),
        );
      }
      const others = keys.filter(
        (k) => !ScenarioCatalog.isLeakproof(k) && !ScenarioCatalog.isWithout(k),
      );
      await ServerFleet.settle(
        others.map(async (key) => {
          const port = await ServerProcess.freePort();
          servers.set(
            key,
            await ServerProcess.start(key, catalog.serverSpec(key, port, body, nodeArgs)),
          );
        }),
      );
      const result = fleet(body);
      for (const [key, itemId] of itemIds) {
        result.seeds.set(key, { itemId, apiKey: apiKeys.get(key) ?? '' });
      }
      // The comparison apps hold the same item (BenchItemsStore seeds it from the body).
      const firstId = (JSON.parse(body) as { id: string }[])[0].id;
      for (const key of others) result.seeds.set(key, { itemId: firstId, apiKey: '' });
      for (const key of keys.filter((k) => ScenarioCatalog.isWithout(k))) {
        result.seeds.set(key, { itemId: firstId, apiKey: '' });
      }
      return result;
    } catch (error) {
      await fleet('').stopAll();
      throw error;
    }
  }

  get(key: ServerKey): ServerProcess {
    const server = this.servers.get(key);
    if (!server) throw new Error(`server ${key} was not started`);
    return server;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.servers.values()].map((s) => s.stop()));
  }

  /**
   * Waits for every start to finish, then fails with the first failure: a server that started
   * while another failed is in the map by then, so the cleanup stops it too.
   */
  private static async settle(tasks: Promise<void>[]): Promise<void> {
    const failed = (await Promise.allSettled(tasks)).find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** `npm run api-key -- create`, as an operator would run it; the key is its only stdout. */
  private static createApiKey(dist: string, env: Record<string, string>): string {
    const cli = spawnSync(
      process.execPath,
      [join(dist, 'cli', 'api-key.cli.js'), 'create', '--name', 'bench', '--scope', 'stock:write'],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, encoding: 'utf8' },
    );
    const key = cli.stdout.trim();
    if (cli.status !== 0 || !key) throw new Error(`api-key CLI failed: ${cli.stderr}`);
    return key;
  }

  private static async seed(server: ServerProcess, token: string): Promise<string> {
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const created = await fetch(`${server.url}/items`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'widget', stock: 3 }),
    });
    await created.arrayBuffer();
    if (created.status !== 201)
      throw new Error(`${server.name}: seeding answered ${created.status}`);
    const listed = await fetch(`${server.url}/items`, { headers });
    const body = await listed.text();
    if (listed.status !== 200)
      throw new Error(`${server.name}: GET /items answered ${listed.status}`);
    return body;
  }
}
