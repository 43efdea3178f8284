import { z } from 'zod';
import { SCOPE_TOKEN } from '../api-keys/api-key-scope.policy';

/**
 * The environment contract (the README's configuration table). Every value arrives as a
 * string; this schema turns it into typed settings. Cross-field rules (one key source, the
 * production refusals) live in AppConfig.fromEnv, which has the whole picture.
 *
 * Security: zod issues carry no input value unless asked (`reportInput`), so a message built
 * from them names the variable and the rule only.
 */
const list = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0),
);

const bool = z.enum(['true', 'false', '1', '0']).transform((s) => s === 'true' || s === '1');

export const JWT_ALGORITHMS = [
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  JWT_ISSUER: z.string().min(1).optional(),
  JWT_AUDIENCE: z.string().min(1).optional(),
  JWT_ALGORITHMS: list.optional(),
  JWT_TOKEN_TYPES: list.default(['at+jwt']),
  JWT_MAX_TOKEN_LIFETIME: z.coerce.number().int().min(60).max(86_400).default(3600),
  JWT_JWKS_URI: z.url({ protocol: /^https?$/ }).optional(),
  DEV_KEYS_DIR: z.string().min(1).default('.data/dev-keys'),
  DATABASE_URL: z.string().min(1).default('.data/leakproof.sqlite'),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  /** Namespace for every Redis key and channel, so deployments can share one Redis. */
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/)
    .default('leakproof'),
  /** Requests one client may send to one route per window (OWASP API4:2023). */
  RATE_LIMIT_MAX: z.coerce.number().int().min(1).max(1_000_000).default(600),
  RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  /** Proxies in front of the app whose X-Forwarded-For is believed: 0 = none. */
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  /** Failed API-key verifications one client address may make per minute before a 429. */
  API_KEY_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(20),
  /** Scopes API keys may carry, comma-separated; unset: those the `@ApiKeyAuth` routes need. */
  API_KEY_ALLOWED_SCOPES: list.pipe(z.array(z.string().regex(SCOPE_TOKEN)).min(1)).optional(),
  DOWNSTREAM_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  DOWNSTREAM_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(5000),
  /**
   * Bounds on a client's connection (OWASP API4:2023; slowloris): the time to send the request
   * line and headers, then the whole request, the idle time of a keep-alive connection, and the
   * connections open at once. A trickling client is cut off before the rate limiter sees it.
   */
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(1000).max(120_000).default(10_000),
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(1000).max(3_600_000).default(5000),
  HTTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  CORS_ORIGINS: list.default([]),
  DOCS_ENABLED: bool.optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  /** On SIGTERM/SIGINT: how long in-flight requests may take to finish before exit 1. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(10_000),
});

export type Env = z.infer<typeof envSchema>;

/** Variables that hold secrets: each also accepts NAME_FILE and ends up as a Secret. */
export const SECRET_VARIABLES = [
  'JWT_SECRET',
  'JWT_PUBLIC_KEY',
  'API_KEY_PEPPER',
  /** Retired peppers, comma-separated: they still verify old keys, never sign new ones. */
  'API_KEY_PEPPER_PREVIOUS',
  'DOWNSTREAM_API_KEY',
] as const;
export type SecretVariable = (typeof SECRET_VARIABLES)[number];
