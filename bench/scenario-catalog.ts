import { basename, join } from 'node:path';
import { BenchFixture, type JwtVariant } from './bench-fixture';
import type { ServerSpec } from './server-process';

export type ServerKey =
  | 'baseline'
  | 'baseline-static'
  | 'typical'
  | 'raw'
  | 'leakproof-rs256'
  | 'leakproof-es256'
  | 'leakproof-hs256'
  | `compare${number}-${JwtVariant}`
  | `without${number}-rs256`
  | 'typical-pino-only'
  | 'typical-passport-pem'
  | 'typical-passport-keyobject'
  | 'typical-guard-keyobject';

export interface Scenario {
  id: string;
  label: string;
  server: ServerKey;
  /** `{itemId}` and `{apiKey}` are filled in per server once the fleet has seeded it. */
  path: string;
  method?: 'GET' | 'PUT';
  body?: string;
  headers?: Record<string, string>;
  authorizationPerRequest?: () => string;
  /** The only status this scenario may answer; the smoke run fails on anything else. */
  expectStatus: number;
  /** The scenario its ratios are taken against (default `baseline`): the same route, bare. */
  baselineId?: string;
}

/**
 * The benchmark scenarios, in the order each round runs them, and how to start each server.
 * Leakproof runs as shipped (`dist/main.js`, production settings, logging at info); the
 * comparison apps are compiled from bench/.
 */
export class ScenarioCatalog {
  constructor(
    private readonly fixture: BenchFixture,
    private readonly root: string,
    /** Where the built app is; `--dist` points elsewhere to bench a saved build. */
    private readonly dist = join(root, 'dist'),
    /** Other builds (`--compare`), run beside the first in the same rounds: before/after. */
    private readonly compareDists: readonly string[] = [],
    /** A folder for each server's log (`--logs`); /dev/null when unset. */
    private readonly logDir?: string,
    /**
     * `--without`: per entry, the pipeline stages (`+`-separated) a server of the same build runs
     * without; the JWT scenario runs on each, beside the full one, for the per-layer costs.
     */
    private readonly withouts: readonly string[] = [],
  ) {}

  /** A server the harness seeds (an item, an API key) before the comparison apps start. */
  static isLeakproof(
    key: ServerKey,
  ): key is `leakproof-${JwtVariant}` | `compare${number}-${JwtVariant}` {
    return key.startsWith('leakproof-') || key.startsWith('compare');
  }

  /** A Leakproof server with stages taken out; it reads the seeded database of `leakproof-rs256`. */
  static isWithout(key: ServerKey): key is `without${number}-rs256` {
    return key.startsWith('without');
  }

  static variantOf(key: `leakproof-${JwtVariant}` | `compare${number}-${JwtVariant}`): JwtVariant {
    return key.slice(key.indexOf('-') + 1) as JwtVariant;
  }

  /** The stages the `--without` server `key` runs without, as given (`a+b`). */
  withoutOf(key: `without${number}-rs256`): string {
    return this.withouts[Number(/^without(\d+)-/.exec(key)?.[1]) - 1] ?? '';
  }

  scenarios(diagnostics: boolean): Scenario[] {
    const list = this.mainScenarios(diagnostics);
    // Each Leakproof scenario runs right before its twins on the compare builds, and the JWT
    // scenario before its twins without a layer.
    return list.flatMap((s) =>
      s.server.startsWith('leakproof-')
        ? [
            s,
            ...this.compareDists.map((dist, i) => ({
              ...s,
              id: `${s.id}@compare${i + 1}`,
              label: `${s.label} [compare ${i + 1}: ${basename(dist)}]`,
              server: s.server.replace('leakproof-', `compare${i + 1}-`) as ServerKey,
            })),
            ...(s.id === 'leakproof-jwt-rs256'
              ? this.withouts.map((stages, i) => ({
                  ...s,
                  id: `${s.id}@without${i + 1}`,
                  label: `${s.label} [without ${stages.replaceAll('+', ' + ')}]`,
                  server: `without${i + 1}-rs256` as ServerKey,
                }))
              : []),
          ]
        : [s],
    );
  }

  private mainScenarios(diagnostics: boolean): Scenario[] {
    const f = this.fixture;
    const bearer = (token: string): Record<string, string> => ({
      authorization: `Bearer ${token}`,
    });
    const list: Scenario[] = [
      {
        id: 'baseline',
        label: 'baseline: bare Nest 12 on Express, no security (GET /items, the same SQLite read)',
        server: 'baseline',
        path: '/items',
        expectStatus: 200,
      },
      {
        id: 'baseline-put',
        label: 'baseline: PUT /items/{id}/stock, the same SQLite UPDATE and read-back, no security',
        server: 'baseline',
        path: '/items/{itemId}/stock',
        method: 'PUT',
        body: JSON.stringify({ stock: 3 }),
        headers: { 'content-type': 'application/json' },
        expectStatus: 200,
        baselineId: 'baseline-put',
      },
      {
        id: 'baseline-static',
        label: 'bare Nest 12 on Express, static body (no database)',
        server: 'baseline-static',
        path: '/items',
        expectStatus: 200,
      },
      {
        id: 'typical',
        label: 'typical stack: + passport-jwt RS256 (PEM string) + default pino-http',
        server: 'typical',
        path: '/items',
        headers: bearer(f.token('rs256')),
        expectStatus: 200,
      },
      ...(['rs256', 'es256', 'hs256'] as const).map((v) => ({
        id: `leakproof-jwt-${v}`,
        label: `Leakproof GET /items, JWT ${v.toUpperCase()}${v === 'rs256' ? ' (dev issuer algorithm)' : ''}`,
        server: `leakproof-${v}` as const,
        path: '/items',
        headers: bearer(f.token(v)),
        expectStatus: 200,
      })),
      {
        id: 'leakproof-api-key',
        label: 'Leakproof PUT /items/{id}/stock, API key (machine route, one SQLite UPDATE)',
        server: 'leakproof-rs256',
        path: '/items/{itemId}/stock',
        method: 'PUT',
        body: JSON.stringify({ stock: 3 }),
        headers: { 'x-api-key': '{apiKey}', 'content-type': 'application/json' },
        expectStatus: 200,
        baselineId: 'baseline-put',
      },
      {
        id: 'leakproof-401',
        label: 'Leakproof 401: forged RS256 token (wrong key), the same each request',
        server: 'leakproof-rs256',
        path: '/items',
        headers: bearer(f.forgedToken()),
        expectStatus: 401,
        baselineId: 'baseline-static',
      },
      {
        id: 'leakproof-401-unique',
        label: 'Leakproof 401: a different forged RS256 token each request',
        server: 'leakproof-rs256',
        path: '/items',
        authorizationPerRequest: ScenarioCatalog.uniqueForgeries(f.forgedToken()),
        expectStatus: 401,
        baselineId: 'baseline-static',
      },
      {
        id: 'leakproof-404',
        label: 'Leakproof 404: unmapped route, no credentials',
        server: 'leakproof-rs256',
        path: '/no-such-route',
        expectStatus: 404,
        baselineId: 'baseline-static',
      },
      {
        id: 'raw',
        label: 'raw node:http (ceiling)',
        server: 'raw',
        path: '/items',
        expectStatus: 200,
        baselineId: 'baseline-static',
      },
    ];
    if (!diagnostics) return list;
    const rs = bearer(f.token('rs256'));
    return [
      ...list,
      {
        id: 'diag-pino-only',
        label: 'diagnostic: baseline + default pino-http only',
        server: 'typical-pino-only',
        path: '/items',
        expectStatus: 200,
      },
      {
        id: 'diag-passport-pem',
        label: 'diagnostic: baseline + passport-jwt RS256, PEM string, no logging',
        server: 'typical-passport-pem',
        path: '/items',
        headers: rs,
        expectStatus: 200,
      },
      {
        id: 'diag-passport-keyobject',
        label: 'diagnostic: baseline + passport-jwt RS256, KeyObject, no logging',
        server: 'typical-passport-keyobject',
        path: '/items',
        headers: rs,
        expectStatus: 200,
      },
      {
        id: 'diag-guard-keyobject',
        label: 'diagnostic: baseline + plain guard, jsonwebtoken RS256, KeyObject (no passport)',
        server: 'typical-guard-keyobject',
        path: '/items',
        headers: rs,
        expectStatus: 200,
      },
    ];
  }

  /** The built app a server key runs. */
  distFor(key: ServerKey): string {
    const compare = /^compare(\d+)-/.exec(key);
    return compare ? (this.compareDists[Number(compare[1]) - 1] ?? this.dist) : this.dist;
  }

  serverSpec(key: ServerKey, port: number, body: string, nodeArgs: string[] = []): ServerSpec {
    const spec = this.bareSpec(key, port, body, nodeArgs);
    return this.logDir ? { ...spec, logFile: join(this.logDir, `${key}.log`) } : spec;
  }

  private bareSpec(key: ServerKey, port: number, body: string, nodeArgs: string[]): ServerSpec {
    const common = { PORT: String(port), NODE_ENV: 'production' };
    if (ScenarioCatalog.isWithout(key)) {
      return {
        script: join(this.dist, 'main.js'),
        env: {
          ...this.fixture.leakproofEnv('rs256', port),
          BENCH_WITHOUT: this.withoutOf(key),
        },
        readyPath: '/health/live',
        nodeArgs: [
          ...nodeArgs,
          `--require=${join(this.root, 'bench', '.out', 'js', 'without-stages.preload.js')}`,
        ],
      };
    }
    if (ScenarioCatalog.isLeakproof(key)) {
      const variant = ScenarioCatalog.variantOf(key);
      return {
        script: join(this.distFor(key), 'main.js'),
        env: this.fixture.leakproofEnv(variant, port, key.slice(0, key.indexOf('-'))),
        readyPath: '/health/live',
        nodeArgs,
      };
    }
    const compiled = join(this.root, 'bench', '.out', 'js');
    // The comparison apps read the body from a SQLite file of their own (BenchItemsStore).
    const database = {
      BENCH_DATABASE: join(this.fixture.dir, `${key}.sqlite`),
      BENCH_DIST: this.dist,
    };
    const app = {
      env: {
        ...common,
        BENCH_BODY: body,
        ...(key === 'baseline-static' || key === 'raw' ? {} : database),
      },
      readyPath: '/items',
      nodeArgs,
    };
    if (key === 'baseline' || key === 'baseline-static') {
      return { ...app, script: join(compiled, 'baseline.app.js') };
    }
    if (key === 'raw') return { ...app, script: join(compiled, 'raw-http.app.js') };
    return {
      ...app,
      script: join(compiled, 'typical-stack.app.js'),
      env: {
        ...app.env,
        BENCH_STACK: key === 'typical' ? 'typical' : key.slice('typical-'.length),
        BENCH_JWT_PUBLIC_KEY: this.fixture.rsaPublicPem,
        BENCH_JWT_ISSUER: this.fixture.issuer,
        BENCH_JWT_AUDIENCE: this.fixture.audience,
      },
    };
  }

  /**
   * The same forged token with a counter written over the start of its signature: every
   * request carries a token no cache has seen, so each one costs a full signature check.
   */
  private static uniqueForgeries(forged: string): () => string {
    const cut = forged.lastIndexOf('.') + 1;
    const head = forged.slice(0, cut);
    const tail = forged.slice(cut + 11);
    const counter = Buffer.alloc(8);
    let n = 0n;
    return () => {
      counter.writeBigUInt64BE(n++);
      return `Bearer ${head}${counter.toString('base64url')}${tail}`;
    };
  }
}
