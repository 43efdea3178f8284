import { createPrivateKey, createPublicKey, createSecretKey, KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from './config-error';
import { DevKeyFiles } from './dev-key-files';
import {
  Env,
  envSchema,
  JWT_ALGORITHMS,
  JwtAlgorithm,
  LOG_LEVELS,
  SECRET_VARIABLES,
  SecretVariable,
} from './env.schema';
import { Secret } from './secret';

export type JwtKeySource =
  | { kind: 'jwks'; uri: string }
  | { kind: 'public-key'; key: KeyObject }
  | { kind: 'secret'; key: KeyObject; secret: Secret }
  | {
      kind: 'dev-issuer';
      key: KeyObject;
      signingKey: KeyObject;
      signingKeyPem: Secret;
      kid: string;
    };

export interface JwtSettings {
  issuer: string;
  audience: string;
  algorithms: JwtAlgorithm[];
  tokenTypes: string[];
  maxLifetimeSeconds: number;
  /** RFC 8725 leaves skew to the verifier; 30 s keeps `exp`/`nbf`/`iat` checks tight. */
  clockToleranceSeconds: number;
  keySource: JwtKeySource;
}

export interface DownstreamSettings {
  baseUrl: URL;
  apiKey: Secret;
  /** Bound on connect, on the wait for headers, between body chunks, and on the whole call. */
  timeoutMs: number;
}

export interface RateLimitSettings {
  /** Requests one client (address) may send to one route per window. */
  max: number;
  windowSeconds: number;
}

export interface ApiKeySettings {
  /** `live` in production, `test` elsewhere: a test key never works in production. */
  environment: 'live' | 'test';
  /** Retired peppers: they verify keys hashed before a pepper rotation, never new keys. */
  previousPeppers: readonly Secret[];
  failuresPerMinute: number;
  /** API_KEY_ALLOWED_SCOPES; null: the scopes the app's API-key routes need (ApiKeyScopePolicy). */
  allowedScopes: readonly string[] | null;
}

/**
 * Bounds on client connections, applied to the HTTP server by HttpServerHardening. Node checks
 * the headers and request timeouts once a second there, so each fires up to a second late.
 */
export interface HttpServerSettings {
  /** Longest a client may take to send the request line and headers (slowloris). */
  headersTimeoutMs: number;
  /** Longest a client may take to send the whole request, body included; >= headersTimeoutMs. */
  requestTimeoutMs: number;
  /**
   * How long an idle keep-alive connection stays open. Behind a load balancer it must exceed
   * the balancer's idle timeout, or the balancer may reuse a connection the app is closing.
   */
  keepAliveTimeoutMs: number;
  /** Connections open at once; a connection beyond it is closed as soon as it is accepted. */
  maxConnections: number;
}

type RawEnv = Record<string, string | undefined>;

const DEV_ISSUER = 'leakproof-dev-issuer';
const DEV_AUDIENCE = 'leakproof-api';
const MIN_SECRET_BYTES = 32;
const PLACEHOLDER = /change.?me|placeholder|example|dummy|your[-_]?secret|^secret$|^password$/i;

/**
 * The validated configuration, built once at boot from the environment. A bad value stops the
 * app with every problem listed by variable name and rule; no value is ever quoted.
 */
export class AppConfig {
  private constructor(
    readonly nodeEnv: Env['NODE_ENV'],
    readonly port: number,
    readonly host: string,
    readonly http: HttpServerSettings,
    readonly jwt: JwtSettings,
    readonly apiKeyPepper: Secret,
    readonly apiKeys: ApiKeySettings,
    readonly databaseUrl: Secret,
    readonly redisUrl: Secret | null,
    /** Namespace of every Redis key and channel this deployment uses. */
    readonly redisKeyPrefix: string,
    readonly rateLimit: RateLimitSettings,
    /** How many proxies' X-Forwarded-For entries to believe (Express `trust proxy`). */
    readonly trustProxyHops: number,
    readonly downstream: DownstreamSettings | null,
    readonly corsOrigins: string[],
    readonly docsEnabled: boolean,
    readonly logLevel: (typeof LOG_LEVELS)[number],
    /** SIGTERM/SIGINT: the bound on draining in-flight requests, then the process exits. */
    readonly shutdownTimeoutMs: number,
    private readonly secretValues: readonly Secret[],
    /** Sound but unsafe choices, each naming a variable and never a value; logged once at boot. */
    readonly warnings: readonly string[],
  ) {}

  get isProduction(): boolean {
    return this.nodeEnv === 'production';
  }

  /** Every configured secret, for the redaction core (exact-value matching). */
  secrets(): readonly Secret[] {
    return this.secretValues;
  }

  static fromEnv(input: RawEnv): AppConfig {
    const problems: string[] = [];
    const raw = AppConfig.readUrlFiles(input, problems);
    const parsed = envSchema.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        problems.push(`${issue.path.join('.')}: ${issue.message}`);
      }
      throw new ConfigError(problems);
    }
    const env = parsed.data;
    const production = env.NODE_ENV === 'production';
    const secrets = AppConfig.readSecrets(raw, problems);

    const issuer = env.JWT_ISSUER ?? (production ? undefined : DEV_ISSUER);
    const audience = env.JWT_AUDIENCE ?? (production ? undefined : DEV_AUDIENCE);
    if (!issuer) problems.push('JWT_ISSUER: required in production');
    if (!audience) problems.push('JWT_AUDIENCE: required in production');

    const keySource = AppConfig.keySource(env, secrets, production, problems);
    const algorithms = AppConfig.algorithms(env, keySource, problems);

    let pepper = secrets.API_KEY_PEPPER;
    if (!pepper && production) problems.push('API_KEY_PEPPER: required in production');
    if (pepper) AppConfig.checkStrength('API_KEY_PEPPER', pepper, production, problems);
    if (!pepper && !production) pepper = DevKeyFiles.loadOrCreate(env.DEV_KEYS_DIR).pepper;
    const previousPeppers = (secrets.API_KEY_PEPPER_PREVIOUS ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p.length > 0);
    for (const previous of previousPeppers) {
      AppConfig.checkStrength('API_KEY_PEPPER_PREVIOUS', previous, production, problems);
    }

    let downstream: DownstreamSettings | null = null;
    if (env.DOWNSTREAM_BASE_URL && secrets.DOWNSTREAM_API_KEY) {
      downstream = {
        baseUrl: new URL(env.DOWNSTREAM_BASE_URL),
        apiKey: new Secret(secrets.DOWNSTREAM_API_KEY),
        timeoutMs: env.DOWNSTREAM_TIMEOUT_MS,
      };
      const base = downstream.baseUrl;
      if (base.username || base.password || base.search || base.hash) {
        // Security: the key travels only in DOWNSTREAM_API_KEY (a Secret, redacted); a URL is
        // printed too easily (docs/threat-model.md §1), so it carries neither credentials nor
        // a query.
        problems.push('DOWNSTREAM_BASE_URL: no user, password, query or fragment allowed');
      }
    } else if (env.DOWNSTREAM_BASE_URL || secrets.DOWNSTREAM_API_KEY) {
      problems.push('DOWNSTREAM_BASE_URL, DOWNSTREAM_API_KEY: set both or neither');
    }

    if (env.HTTP_HEADERS_TIMEOUT_MS > env.HTTP_REQUEST_TIMEOUT_MS) {
      // Node's own rule: the headers are part of the request, so their bound cannot be longer.
      problems.push('HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS');
    }

    for (const origin of env.CORS_ORIGINS) {
      if (!AppConfig.isOrigin(origin)) {
        problems.push('CORS_ORIGINS: each entry must be an origin like https://app.example.com');
        break;
      }
    }

    if (problems.length > 0 || !keySource || !issuer || !audience || !pepper) {
      throw new ConfigError(problems);
    }

    const secretValues: Secret[] = [];
    const add = (value: string | undefined): void => {
      if (value) secretValues.push(new Secret(value));
    };
    add(secrets.JWT_SECRET);
    add(pepper);
    for (const previous of previousPeppers) add(previous);
    add(secrets.DOWNSTREAM_API_KEY);
    add(raw.DATABASE_URL);
    add(AppConfig.urlPassword(raw.DATABASE_URL));
    add(raw.REDIS_URL);
    add(AppConfig.urlPassword(raw.REDIS_URL));
    if (keySource.kind === 'dev-issuer') add(keySource.signingKeyPem.reveal());

    return new AppConfig(
      env.NODE_ENV,
      env.PORT,
      env.HOST,
      {
        headersTimeoutMs: env.HTTP_HEADERS_TIMEOUT_MS,
        requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
        keepAliveTimeoutMs: env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
        maxConnections: env.HTTP_MAX_CONNECTIONS,
      },
      {
        issuer,
        audience,
        algorithms,
        tokenTypes: env.JWT_TOKEN_TYPES.map((t) => t.toLowerCase().replace(/^application\//, '')),
        maxLifetimeSeconds: env.JWT_MAX_TOKEN_LIFETIME,
        clockToleranceSeconds: 30,
        keySource,
      },
      new Secret(pepper),
      {
        environment: production ? 'live' : 'test',
        previousPeppers: previousPeppers.map((p) => new Secret(p)),
        failuresPerMinute: env.API_KEY_FAILURES_PER_MINUTE,
        allowedScopes: env.API_KEY_ALLOWED_SCOPES ?? null,
      },
      new Secret(env.DATABASE_URL),
      raw.REDIS_URL ? new Secret(raw.REDIS_URL) : null,
      env.REDIS_KEY_PREFIX,
      { max: env.RATE_LIMIT_MAX, windowSeconds: env.RATE_LIMIT_WINDOW_SECONDS },
      env.TRUST_PROXY_HOPS,
      downstream,
      env.CORS_ORIGINS,
      env.DOCS_ENABLED ?? !production,
      env.LOG_LEVEL,
      env.SHUTDOWN_TIMEOUT_MS,
      secretValues,
      production ? AppConfig.plainSecretWarnings(input) : [],
    );
  }

  /**
   * Security: a secret given as a plain variable stays in the environment block the process was
   * started with, which the kernel shows in /proc/<pid>/environ (to the same user and to root)
   * for the life of the process; deleting it from `process.env` (scrubEnvironment) cannot change
   * that block. NAME_FILE puts only a path there. JWT_PUBLIC_KEY is not a secret, and a database
   * or Redis URL is one only when it carries a password.
   */
  private static plainSecretWarnings(input: RawEnv): string[] {
    const names: string[] = SECRET_VARIABLES.filter(
      (name) => name !== 'JWT_PUBLIC_KEY' && input[name] !== undefined,
    );
    for (const name of ['DATABASE_URL', 'REDIS_URL']) {
      if (AppConfig.urlPassword(input[name])) names.push(name);
    }
    return names.map(
      (name) =>
        `${name} is a plain environment variable: its value stays readable in /proc/<pid>/environ; give it as ${name}_FILE`,
    );
  }

  /**
   * Removes every secret-bearing variable from the environment once the config holds it.
   * Security: a handler, a dependency or a child process that reads or dumps `process.env`
   * (an error reporter, a debug endpoint, a tool-using LLM fed a crafted prompt) finds no
   * secret there; the values live only in Secret objects.
   */
  static scrubEnvironment(env: NodeJS.ProcessEnv): void {
    for (const name of [...SECRET_VARIABLES, 'DATABASE_URL', 'REDIS_URL']) {
      Reflect.deleteProperty(env, name);
      Reflect.deleteProperty(env, `${name}_FILE`);
    }
  }

  /**
   * DATABASE_URL and REDIS_URL can carry a password, so they too accept NAME_FILE (compose and
   * Kubernetes secrets); the value read takes the variable's place, never both set.
   */
  private static readUrlFiles(raw: RawEnv, problems: string[]): RawEnv {
    const out = { ...raw };
    for (const name of ['DATABASE_URL', 'REDIS_URL'] as const) {
      const file = raw[`${name}_FILE`];
      if (file === undefined) continue;
      if (raw[name] !== undefined) {
        problems.push(`${name}, ${name}_FILE: set one of them, not both`);
        continue;
      }
      try {
        out[name] = readFileSync(file, 'utf8').trim();
      } catch {
        problems.push(`${name}_FILE: the file cannot be read`);
      }
    }
    return out;
  }

  /** NAME or NAME_FILE (Docker and Kubernetes secrets), never both. */
  private static readSecrets(
    raw: RawEnv,
    problems: string[],
  ): Partial<Record<SecretVariable, string>> {
    const out: Partial<Record<SecretVariable, string>> = {};
    for (const name of SECRET_VARIABLES) {
      const direct = raw[name];
      const file = raw[`${name}_FILE`];
      if (direct !== undefined && file !== undefined) {
        problems.push(`${name}, ${name}_FILE: set one of them, not both`);
        continue;
      }
      if (file !== undefined) {
        try {
          out[name] = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
        } catch {
          problems.push(`${name}_FILE: the file cannot be read`);
          continue;
        }
      } else if (direct !== undefined) {
        out[name] = direct;
      }
      if (out[name] === '') {
        problems.push(`${name}: must not be empty`);
        out[name] = undefined;
      }
    }
    return out;
  }

  private static keySource(
    env: Env,
    secrets: Partial<Record<SecretVariable, string>>,
    production: boolean,
    problems: string[],
  ): JwtKeySource | null {
    const set = [
      env.JWT_JWKS_URI ? 'JWT_JWKS_URI' : null,
      secrets.JWT_PUBLIC_KEY ? 'JWT_PUBLIC_KEY' : null,
      secrets.JWT_SECRET ? 'JWT_SECRET' : null,
    ].filter((x) => x !== null);
    if (set.length > 1) {
      problems.push(`${set.join(', ')}: set exactly one JWT key source`);
      return null;
    }
    if (env.JWT_JWKS_URI) {
      if (production && !env.JWT_JWKS_URI.startsWith('https:')) {
        problems.push('JWT_JWKS_URI: must use https in production');
      }
      return { kind: 'jwks', uri: env.JWT_JWKS_URI };
    }
    if (secrets.JWT_PUBLIC_KEY) {
      try {
        const key = createPublicKey(secrets.JWT_PUBLIC_KEY);
        return { kind: 'public-key', key };
      } catch {
        problems.push('JWT_PUBLIC_KEY: not a PEM public key');
        return null;
      }
    }
    if (secrets.JWT_SECRET) {
      const secret = secrets.JWT_SECRET;
      if (Buffer.byteLength(secret) < MIN_SECRET_BYTES) {
        // Security: RFC 7518 §3.2, RFC 8725 §3.5 — an HS256 key has at least 256 bits.
        problems.push(`JWT_SECRET: must be at least ${MIN_SECRET_BYTES} bytes`);
        return null;
      }
      AppConfig.checkStrength('JWT_SECRET', secret, production, problems);
      return {
        kind: 'secret',
        key: createSecretKey(Buffer.from(secret)),
        secret: new Secret(secret),
      };
    }
    if (production) {
      problems.push('JWT_JWKS_URI, JWT_PUBLIC_KEY, JWT_SECRET: production needs exactly one');
      return null;
    }
    const dev = DevKeyFiles.loadOrCreate(env.DEV_KEYS_DIR);
    const signingKey = createPrivateKey(dev.privateKeyPem);
    return {
      kind: 'dev-issuer',
      key: createPublicKey(signingKey),
      signingKey,
      signingKeyPem: new Secret(dev.privateKeyPem),
      kid: dev.kid,
    };
  }

  private static algorithms(
    env: Env,
    source: JwtKeySource | null,
    problems: string[],
  ): JwtAlgorithm[] {
    const requested = env.JWT_ALGORITHMS;
    if (!requested) {
      if (source?.kind === 'secret') return ['HS256'];
      if (source?.kind === 'public-key' && source.key.asymmetricKeyType === 'ec') return ['ES256'];
      return ['RS256'];
    }
    const known = new Set<string>(JWT_ALGORITHMS);
    if (requested.length === 0 || requested.some((a) => !known.has(a))) {
      // Security: RFC 8725 §3.1-3.2 — `none` is never a valid choice for bearer tokens.
      problems.push(`JWT_ALGORITHMS: allowed values are ${JWT_ALGORITHMS.join(', ')}`);
      return [];
    }
    const algorithms = requested as JwtAlgorithm[];
    const hmac = algorithms.filter((a) => a.startsWith('HS'));
    if (hmac.length > 0 && hmac.length < algorithms.length) {
      // Security: RFC 8725 §3.1, CVE-2016-10555 — never one key with HS and asymmetric algorithms.
      problems.push('JWT_ALGORITHMS: do not mix HS algorithms with asymmetric ones');
      return [];
    }
    if (source) {
      const symmetric = source.kind === 'secret';
      if (symmetric !== hmac.length > 0) {
        problems.push('JWT_ALGORITHMS: do not match the configured key source');
      }
    }
    return algorithms;
  }

  private static checkStrength(
    name: string,
    value: string,
    production: boolean,
    problems: string[],
  ): void {
    if (!production) return;
    const weak =
      Buffer.byteLength(value) < MIN_SECRET_BYTES ||
      PLACEHOLDER.test(value) ||
      new Set(value).size < 12;
    if (weak)
      problems.push(`${name}: too weak or a placeholder (production needs 32+ random bytes)`);
  }

  private static isOrigin(value: string): boolean {
    try {
      const url = new URL(value);
      return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
    } catch {
      return false;
    }
  }

  private static urlPassword(value: string | undefined): string | undefined {
    if (!value || !/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return undefined;
    try {
      const password = decodeURIComponent(new URL(value).password);
      return password.length > 0 ? password : undefined;
    } catch {
      return undefined;
    }
  }
}
