import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import request from 'supertest';
import type { ZodType } from 'zod';
import { FEATURES } from '../src/features';
import { ApiKeyScopePolicy } from '../src/kit/api-keys/api-key-scope.policy';
import type { AuditedRoute } from '../src/kit/auth/route-audit.service';
import { AppConfig } from '../src/kit/config/app-config';
import { ConfigError } from '../src/kit/config/config-error';
import { envSchema } from '../src/kit/config/env.schema';
import { SECRET_VARIABLES, URL_VARIABLES } from '../src/kit/config/secret-source';
import { closeStarted } from './support/cleanup';
import { startTestApp, type TestApp } from './support/test-app';

const root = join(__dirname, '..');
const read = (file: string): string => readFileSync(join(root, file), 'utf8');

/** The documents whose claims are checked: the README, the security policy, every guide. */
const DOCUMENTS = [
  'README.md',
  'SECURITY.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/**
 * Paths the documents name that are not in the repository, each for a stated reason. Generated
 * ones are made by running the app, the tests or a script, and must be git-ignored (checked
 * below); the adopter's are files of the service built from the template, named as examples.
 */
const GENERATED = [
  '.data/',
  '.data/dev-keys',
  '.data/dev-keys/',
  '.data/leakproof.sqlite',
  '.data/secrets/',
  '.env',
  'dist/',
  'openapi.json',
  'test-results/multi-instance.json',
];
const ADOPTERS = ['.gitleaks.toml', 'migrations/'];
/** The module the guides create as their example (`notes/`, `notes.schema.ts`, `src/orders/`). */
const EXAMPLE_MODULE = /^(?:(?:src|test)\/)?(?:notes|orders)[./]/;

/**
 * Every repository path a document names: in backticks (`src/kit/app.setup.ts`, `.nvmrc`,
 * `deploy/nginx.conf`) or as a relative link target, resolved from the document's folder. A
 * backticked word is a path when it holds only path characters and has a `/`, a known file
 * extension, or a leading dot; routes (`/docs`), URLs, media types, globs and placeholders
 * (`<id>`) are not.
 */
function namedPaths(doc: string, text: string): string[] {
  const paths = new Set<string>();
  for (const [, token] of text.matchAll(/`([^`\s]+)`/g)) {
    if (!/^\.?[\w-]+(?:[./][\w.-]+)*\/?$/.test(token)) continue;
    if (
      token.includes('/') ||
      /\.(md|ts|mts|js|mjs|json|ya?ml|conf|sh|toml|png|http)$/.test(token)
    ) {
      paths.add(token);
    } else if (token.startsWith('.') && token.length > 1) {
      paths.add(token);
    }
  }
  for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
    if (/^[a-z]+:/i.test(target)) continue;
    paths.add(normalize(join(dirname(doc), target)));
  }
  return [...paths];
}

/** `npm run NAME`, `npm start` and `npm test` anywhere in a document: each needs its script. */
function namedScripts(text: string): string[] {
  const scripts = new Set<string>();
  for (const m of text.matchAll(/\bnpm run(?: -s| --silent)? ([\w:.-]+)/g)) scripts.add(m[1]);
  for (const m of text.matchAll(/\bnpm (start|test)\b/g)) scripts.add(m[1]);
  return [...scripts];
}

interface TableRow {
  name: string;
  required: string;
  default: string;
  secret: string;
}

/** The README's configuration table: one variable per row. */
function readmeTable(readme: string): TableRow[] {
  const start = readme.indexOf('## Configuration');
  const table = readme.slice(start, readme.indexOf('\n## ', start + 1));
  return table
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => {
      const cells = line.split('|').map((c) => c.trim());
      return {
        name: cells[1].replace(/`/g, ''),
        required: cells[2],
        default: cells[3],
        secret: cells[4],
      };
    });
}

/**
 * In a copy whose demo was removed as README's "Removing the demo" says, the documents still
 * describe the demo (they are the kit's documents, shipped with it), so the demo's paths are
 * expected to be gone there; with the demo present they are checked like every other path.
 */
const demoRemoved = !existsSync(join(root, 'src/demo'));
const isDemoPath = (path: string): boolean =>
  ['src/demo', 'test/demo'].some((dir) => path === dir || path.startsWith(`${dir}/`));

const strong = (): string => randomBytes(32).toString('base64url');
const devConfig = (env: Record<string, string> = {}): AppConfig => AppConfig.fromEnv(env);

/** Why AppConfig refuses `env` (the problem lines), or null when it accepts it. */
function refusal(env: Record<string, string>): string | null {
  try {
    AppConfig.fromEnv(env);
    return null;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.message;
  }
}

/**
 * A valid value for each variable a production configuration may need, generated at run time.
 * The production-required variables and one key source, and nothing else, must start the app.
 */
const SAMPLES = new Map<string, () => string>(
  Object.entries({
    JWT_ISSUER: () => 'https://issuer.example.test/',
    JWT_AUDIENCE: () => 'https://api.example.test',
    API_KEY_PEPPER: strong,
    JWT_JWKS_URI: () => 'https://issuer.example.test/jwks.json',
    JWT_SECRET: strong,
    JWT_PUBLIC_KEY: () =>
      generateKeyPairSync('rsa', { modulusLength: 2048 })
        .publicKey.export({ type: 'spki', format: 'pem' })
        .toString(),
    DOWNSTREAM_BASE_URL: () => 'https://inventory.example.test',
    DOWNSTREAM_API_KEY: strong,
  }),
);
const sample = (name: string): string => {
  const make = SAMPLES.get(name);
  if (!make) throw new Error(`no sample production value for ${name}`);
  return make();
};

/**
 * The default column. A cell that is exactly one backticked value is a literal default: the
 * value the variable's zod schema gives when it is unset (a list is written comma-separated).
 * An empty cell: the variable has none (optional or a secret). Plain words describe a default
 * the code computes; each such text is listed here with the rule that makes it true, and a
 * changed text or a broken rule fails. A backticked literal where the schema has no default, or
 * differs from it, fails.
 */
const DESCRIBED: Record<string, { text: string; holds: () => void }> = {
  JWT_ISSUER: {
    text: '`leakproof-dev-issuer` outside production',
    holds: () => {
      expect(devConfig().jwt.issuer).toBe('leakproof-dev-issuer');
      expect(devConfig({ NODE_ENV: 'test' }).jwt.issuer).toBe('leakproof-dev-issuer');
    },
  },
  JWT_AUDIENCE: {
    text: '`leakproof-api` outside production',
    holds: () => {
      expect(devConfig().jwt.audience).toBe('leakproof-api');
      expect(devConfig({ NODE_ENV: 'test' }).jwt.audience).toBe('leakproof-api');
    },
  },
  JWT_ALGORITHMS: {
    // RS256 for the development issuer, a JWKS or an RSA key; HS256 for a secret.
    text: 'from the key source',
    holds: () => {
      expect(devConfig().jwt.algorithms).toEqual(['RS256']);
      expect(devConfig({ JWT_JWKS_URI: sample('JWT_JWKS_URI') }).jwt.algorithms).toEqual(['RS256']);
      expect(devConfig({ JWT_SECRET: strong() }).jwt.algorithms).toEqual(['HS256']);
      const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
        .publicKey.export({ type: 'spki', format: 'pem' })
        .toString();
      expect(devConfig({ JWT_PUBLIC_KEY: ec }).jwt.algorithms).toEqual(['ES256']);
    },
  },
  API_KEY_PEPPER: {
    // The development pepper, created in DEV_KEYS_DIR by DevKeyMaterial on first start.
    text: 'generated outside production',
    holds: () => {
      const config = devConfig({ NODE_ENV: 'test' });
      expect(config.apiKeys.pepper).toBeNull();
      expect(config.devKeys).toEqual({ dir: envSchema.shape.DEV_KEYS_DIR.parse(undefined) });
    },
  },
  API_KEY_ALLOWED_SCOPES: {
    text: 'scopes of key routes',
    holds: () => {
      const route = (security: AuditedRoute['security']): AuditedRoute =>
        ({ security, declarations: [] }) as unknown as AuditedRoute;
      const policy = ApiKeyScopePolicy.of(devConfig(), [
        route({ scheme: 'api-key', scopes: ['orders:sync'] }),
        route({ scheme: 'jwt', scopes: ['orders:read'] }),
        route({ scheme: 'public' }),
      ]);
      expect(policy.allowed).toEqual(['orders:sync']);
    },
  },
  CORS_ORIGINS: {
    text: 'empty: CORS off',
    holds: () => {
      expect(envSchema.shape.CORS_ORIGINS.parse(undefined)).toEqual([]);
      expect(devConfig().cors.origins).toEqual([]);
    },
  },
  DOCS_ENABLED: {
    text: '`true` outside production',
    holds: () => {
      expect(devConfig().docs.enabled).toBe(true);
      expect(devConfig({ NODE_ENV: 'test' }).docs.enabled).toBe(true);
      const production = {
        NODE_ENV: 'production',
        JWT_ISSUER: sample('JWT_ISSUER'),
        JWT_AUDIENCE: sample('JWT_AUDIENCE'),
        API_KEY_PEPPER: strong(),
        JWT_SECRET: strong(),
      };
      expect(AppConfig.fromEnv(production).docs.enabled).toBe(false);
    },
  },
  LOG_FORMAT: {
    text: '`pretty` in development, else `json`',
    holds: () => {
      expect(devConfig().log.format).toBe('pretty');
      expect(devConfig({ NODE_ENV: 'test' }).log.format).toBe('json');
    },
  },
};

/** The required column's values; each is checked against AppConfig below. */
const REQUIRED = ['no', 'production', 'one key source', 'with the URL'];

/** A list default is written comma-separated; anything else as its string. */
const literal = (value: unknown): string =>
  Array.isArray(value) ? value.join(',') : String(value);

/** What the variable's zod schema gives when it is unset; undefined: no default (or a secret). */
const FIELDS = new Map<string, ZodType>(Object.entries(envSchema.shape));
const schemaDefault = (name: string): unknown => FIELDS.get(name)?.safeParse(undefined).data;

/**
 * Every UPPER_SNAKE name a document uses (`DATABASE_URL_FILE`, `CHROMIUM_PATH`, `CACHE_TTL_MS`),
 * less the shell variables its own examples set (`$LEAKED_KEY`) and the `NAME_FILE` placeholder.
 */
function namedVariables(text: string): string[] {
  const shell = new Set([...text.matchAll(/\$\{?([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]));
  const names = new Set(text.match(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g) ?? []);
  return [...names].filter((name) => !shell.has(name) && name !== 'NAME_FILE');
}

/** Every file of the repository's code, its CI script and its package manifest, as one text. */
function codeText(): string {
  const files = ['src', 'test', 'scripts', 'bench']
    .flatMap((dir) =>
      readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' }).map((f) => join(dir, f)),
    )
    .filter((f) => /\.(ts|mts|mjs|js|sh)$/.test(f) && statSync(join(root, f)).isFile());
  return [...files, '.ci/run', 'package.json', 'jest.config.js'].map(read).join('\n');
}

/**
 * Defaults stated in prose: "`SHUTDOWN_TIMEOUT_MS` (default `10000`", "`JWT_MAX_TOKEN_LIFETIME`
 * (default 3600 s", "`API_KEY_FAILURES_PER_MINUTE`, 20 by default", "`HTTP_MAX_CONNECTIONS`
 * 1000". Seconds are converted for a variable in milliseconds.
 */
function proseDefaults(text: string): { name: string; stated: number }[] {
  return [
    ...text.matchAll(
      /`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)`,? \(?(?:default )?`?(\d[\d_]*)`?(?: (ms|s)\b)?/g,
    ),
  ].map(([, name, value, unit]) => ({
    name,
    stated: Number(value.replace(/_/g, '')) * (unit === 's' && name.endsWith('_MS') ? 1000 : 1),
  }));
}

/** `GET /items/{id}` and the like; Express-style `:id` is read as `{id}`. */
function namedOperations(text: string): { method: string; path: string }[] {
  return [...text.matchAll(/`(GET|POST|PUT|PATCH|DELETE) (\/[^`\s]*)`/g)].map(
    ([, method, path]) => ({
      method: method.toLowerCase(),
      path: path.replace(/:(\w+)/g, '{$1}'),
    }),
  );
}

/** A bare route in backticks (`/docs`, `/health/ready`); file-system paths are not routes. */
function namedRoutes(text: string): string[] {
  return [...text.matchAll(/`(\/[a-z][\w./-]*)`/g)]
    .map((m) => m[1])
    .filter((path) => !/^\/(?:proc|usr|run|etc|tmp|var|dev|bin|app)\//.test(path));
}

/** Routes of the guides' example module, and of the demo once it is removed, are not served. */
const unserved = (path: string): boolean =>
  /^\/(?:notes|orders)\b/.test(path) || (demoRemoved && /^\/items\b/.test(path));

describe('Documentation', () => {
  const rows = readmeTable(read('README.md'));
  const rowsRequired = (required: string): string[] =>
    rows.filter((r) => r.required === required).map((r) => r.name);

  it.each(DOCUMENTS)('when %s names a repository path, that path exists', (doc) => {
    const missing = namedPaths(doc, read(doc))
      .filter((p) => !(demoRemoved && isDemoPath(p)))
      .filter((p) => !GENERATED.includes(p) && !ADOPTERS.includes(p) && !EXAMPLE_MODULE.test(p))
      .filter((p) => !existsSync(join(root, p)));
    expect(missing).toEqual([]);
  });

  it('when a document names a generated path, that path is git-ignored', () => {
    const ignored = read('.gitignore')
      .split('\n')
      .map((line) => line.trim().replace(/^\//, ''))
      .filter((line) => line.length > 0 && !line.startsWith('#'));
    const unignored = GENERATED.filter(
      (path) => !ignored.some((entry) => path === entry || path.startsWith(entry)),
    );
    expect(unignored).toEqual([]);
  });

  it.each(DOCUMENTS)('when %s names an npm script, package.json has it', (doc) => {
    const scripts = Object.keys(
      (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts,
    );
    expect(namedScripts(read(doc)).filter((s) => !scripts.includes(s))).toEqual([]);
  });

  it.each(DOCUMENTS)('when %s names a variable, the code knows it', (doc) => {
    const configured = [
      ...Object.keys(envSchema.shape),
      ...SECRET_VARIABLES,
      ...[...SECRET_VARIABLES, ...URL_VARIABLES].map((v) => `${v}_FILE`),
    ];
    const code = codeText();
    const unknown = namedVariables(read(doc)).filter(
      (name) => !configured.includes(name) && !new RegExp(`\\b${name}\\b`).test(code),
    );
    expect(unknown).toEqual([]);
  });

  it.each(DOCUMENTS)('when %s states a default in prose, the schema has it', (doc) => {
    const wrong = proseDefaults(read(doc))
      .map(({ name, stated }) => ({ name, stated, schema: schemaDefault(name) }))
      .filter(({ stated, schema }) => stated !== schema);
    expect(wrong).toEqual([]);
  });

  describe('when a document names a route', () => {
    let app: TestApp | undefined;
    let document: { paths: Record<string, Record<string, unknown> | undefined> };

    beforeAll(async () => {
      app = await startTestApp(
        { NODE_ENV: 'test', JWT_SECRET: strong(), API_KEY_PEPPER: strong(), LOG_LEVEL: 'silent' },
        FEATURES,
      );
      document = (await request(app.url).get('/docs-json').expect(200)).body as typeof document;
    });
    afterAll(async () => {
      await closeStarted(app);
    });

    it.each(DOCUMENTS)('when %s names an operation, the app serves it', (doc) => {
      const missing = namedOperations(read(doc))
        .filter(({ path }) => !unserved(path))
        .filter(({ method, path }) => document.paths[path]?.[method] === undefined);
      expect(missing).toEqual([]);
    });

    it.each(DOCUMENTS)('when %s names a bare route, it is not a 404', async (doc) => {
      const missing: string[] = [];
      for (const path of namedRoutes(read(doc)).filter((p) => !unserved(p))) {
        if ((await request(app?.url ?? '').get(path)).status === 404) missing.push(path);
      }
      expect(missing).toEqual([]);
    });
  });

  it('when CHANGELOG.md releases a version, package.json carries the newest one', () => {
    // Sections are the release rule, Unreleased, and `[X.Y.Z] - YYYY-MM-DD` per tag vX.Y.Z;
    // before the first tag the version is the one the changelog names for untagged copies.
    const headings = [...read('CHANGELOG.md').matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    const released = headings.flatMap(
      (h) => /^\[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$/.exec(h)?.[1] ?? [],
    );
    expect(
      headings.filter((h) => !['Versions, tags and security fixes', 'Unreleased'].includes(h)),
    ).toHaveLength(released.length);
    const { version } = JSON.parse(read('package.json')) as { version: string };
    expect(version).toBe(released[0] ?? '0.1.0');
  });

  it('when the threat model is read, every scenario names the code that keeps it and the test that proves it', () => {
    // Numbered sections are the scenarios; "The promises" and "Outside this model" are not.
    const sections = read('docs/threat-model.md')
      .split('\n## ')
      .filter((section) => /^\d+\. /.test(section));
    expect(sections.length).toBeGreaterThanOrEqual(12);
    for (const section of sections) {
      expect(section).toMatch(/\*\*Kept by\.\*\* [^\n]*`src\//);
      expect(section).toMatch(/\*\*Proven by\.\*\*[\s\S]*`(test|src)\/[^`]+(spec\.ts)`/);
    }
  });

  it("when the config schema changes, the README's configuration table lists exactly its variables", () => {
    const schema = [...Object.keys(envSchema.shape), ...SECRET_VARIABLES].sort();
    expect(rows.map((r) => r.name).sort()).toEqual(schema);
  });

  it('when a variable holds a secret, the README marks it secret, and only then', () => {
    // Secret variables and the connection URLs accept NAME_FILE and are scrubbed; the public
    // key does too but is not secret, and a database or Redis URL can carry a password.
    const secret = [
      ...SECRET_VARIABLES.filter((v) => v !== 'JWT_PUBLIC_KEY'),
      ...URL_VARIABLES,
    ].sort();
    expect(
      rows
        .filter((r) => r.secret === 'yes')
        .map((r) => r.name)
        .sort(),
    ).toEqual(secret);
    expect(rows.filter((r) => r.secret !== 'yes' && r.secret !== 'no')).toEqual([]);
  });

  it('when the README gives a literal default, the schema has exactly that default', () => {
    const wrong = rows
      .filter((r) => /^`[^`]*`$/.test(r.default))
      .map((r) => {
        const value = schemaDefault(r.name);
        const actual = value === undefined ? '(none)' : literal(value);
        return { name: r.name, readme: r.default.slice(1, -1), schema: actual };
      })
      .filter((r) => r.readme !== r.schema);
    expect(wrong).toEqual([]);
  });

  it('when the schema has a default, the README gives it, literally or by a described rule', () => {
    const missing = rows
      .filter((r) => r.default === '')
      .filter((r) => schemaDefault(r.name) !== undefined)
      .map((r) => r.name);
    expect(missing).toEqual([]);
  });

  it('when the README describes a default in words, the text is the one its rule checks', () => {
    const described = rows.filter((r) => r.default !== '' && !/^`[^`]*`$/.test(r.default));
    expect(Object.fromEntries(described.map((r) => [r.name, r.default]))).toEqual(
      Object.fromEntries(Object.entries(DESCRIBED).map(([name, d]) => [name, d.text])),
    );
  });

  it.each(Object.keys(DESCRIBED))('when %s is unset, its described default holds', (name) => {
    DESCRIBED[name].holds();
  });

  it('when the README says which variables are required, AppConfig requires exactly those', () => {
    expect(rows.filter((r) => !REQUIRED.includes(r.required))).toEqual([]);
    // Outside production nothing is required.
    expect(refusal({})).toBeNull();
    expect(refusal({ NODE_ENV: 'test' })).toBeNull();

    // Production starts with the production-required variables and one key source, and
    // nothing else: every variable marked `no` can stay unset.
    const sources = rowsRequired('one key source');
    expect(sources.sort()).toEqual(['JWT_JWKS_URI', 'JWT_PUBLIC_KEY', 'JWT_SECRET']);
    const minimal = Object.fromEntries([
      ['NODE_ENV', 'production'],
      ...rowsRequired('production').map((name) => [name, sample(name)]),
    ]) as Record<string, string>;
    for (const source of sources) {
      expect(refusal({ ...minimal, [source]: sample(source) })).toBeNull();
    }

    // Each production-required variable, left out, stops it with its name.
    for (const name of rowsRequired('production')) {
      const { [name]: _left, ...without } = minimal;
      expect(refusal({ ...without, JWT_SECRET: strong() })).toContain(
        `${name}: required in production`,
      );
    }
    // No key source, or two, stops it naming the sources.
    expect(refusal(minimal)).toContain(sources.join(', '));
    expect(
      refusal({ ...minimal, JWT_SECRET: strong(), JWT_JWKS_URI: sample('JWT_JWKS_URI') }),
    ).toContain('set exactly one JWT key source');

    // The downstream key is needed with its URL, and only then.
    for (const name of rowsRequired('with the URL')) {
      expect(name).toBe('DOWNSTREAM_API_KEY');
      const withSource = { ...minimal, JWT_SECRET: strong() };
      const url = { DOWNSTREAM_BASE_URL: sample('DOWNSTREAM_BASE_URL') };
      expect(refusal({ ...withSource, ...url })).toContain(name);
      expect(refusal({ ...withSource, ...url, [name]: sample(name) })).toBeNull();
    }
  });
});
