import { type ApiKeySettings, parseApiKeys } from '../api-keys/api-keys.config';
import { type JwtSettings, parseJwt } from '../auth/jwt.config';
import { type DatabaseSettings, parseDatabase } from '../database/database.config';
import { type DownstreamSettings, parseDownstream } from '../downstream/downstream.config';
import { type CorsSettings, parseCors } from '../http/cors.config';
import { type HttpSettings, parseHttp } from '../http/http.config';
import { type LogSettings, parseLog } from '../logging/logging.config';
import { type DocsSettings, parseDocs } from '../openapi/docs.config';
import { parseRedis, type RedisSettings } from '../redis/redis.config';
import { parseShutdown, type ShutdownSettings } from '../shutdown/shutdown.config';
import { parseRateLimit, type RateLimitSettings } from '../throttling/rate-limit.config';
import { ConfigError } from './config-error';
import type { ParseContext } from './env-values';
import { type Env, envSchema } from './env.schema';
import { Secret } from './secret';
import { plainSecretWarnings, type RawEnv, readSecrets, urlPassword } from './secret-source';

/** Every part of the configuration, by name: each feature's settings come from its `*.config.ts`. */
export interface AppSettings {
  nodeEnv: Env['NODE_ENV'];
  http: HttpSettings;
  cors: CorsSettings;
  docs: DocsSettings;
  jwt: JwtSettings;
  apiKeys: ApiKeySettings;
  database: DatabaseSettings;
  redis: RedisSettings;
  rateLimit: RateLimitSettings;
  /** Null when no downstream is configured. */
  downstream: DownstreamSettings | null;
  log: LogSettings;
  shutdown: ShutdownSettings;
  /**
   * Where the development key material lives, when the development issuer or the development
   * pepper is in use (outside production only); null otherwise. Parsing never touches it: the
   * DevKeyMaterial provider (src/kit/auth/dev-key-material.ts) loads or creates it at app start.
   */
  devKeys: { dir: string } | null;
  /** Sound but unsafe choices, each naming a variable and never a value; logged once at boot. */
  warnings: readonly string[];
}

/**
 * The validated configuration, built once at boot from the environment. A bad value stops the
 * app with every problem listed by variable name and rule; no value is ever quoted.
 */
export class AppConfig implements AppSettings {
  readonly nodeEnv: AppSettings['nodeEnv'];
  readonly http: HttpSettings;
  readonly cors: CorsSettings;
  readonly docs: DocsSettings;
  readonly jwt: JwtSettings;
  readonly apiKeys: ApiKeySettings;
  readonly database: DatabaseSettings;
  readonly redis: RedisSettings;
  readonly rateLimit: RateLimitSettings;
  readonly downstream: DownstreamSettings | null;
  readonly log: LogSettings;
  readonly shutdown: ShutdownSettings;
  readonly devKeys: { dir: string } | null;
  readonly warnings: readonly string[];

  private constructor(settings: AppSettings) {
    this.nodeEnv = settings.nodeEnv;
    this.http = settings.http;
    this.cors = settings.cors;
    this.docs = settings.docs;
    this.jwt = settings.jwt;
    this.apiKeys = settings.apiKeys;
    this.database = settings.database;
    this.redis = settings.redis;
    this.rateLimit = settings.rateLimit;
    this.downstream = settings.downstream;
    this.log = settings.log;
    this.shutdown = settings.shutdown;
    this.devKeys = settings.devKeys;
    this.warnings = settings.warnings;
  }

  get isProduction(): boolean {
    return this.nodeEnv === 'production';
  }

  /**
   * Every configured secret, for the redaction core (exact-value matching): the JWT secret, the
   * peppers, the downstream key, and the connection URLs with the passwords in them.
   * JWT_PUBLIC_KEY is not a secret. The development signing key and pepper are not
   * configuration: DevKeyMaterial hands them to the redaction core itself.
   */
  secrets(): readonly Secret[] {
    const source = this.jwt.keySource;
    const values: Secret[] = [];
    if (source.kind === 'secret') values.push(source.secret);
    if (this.apiKeys.pepper) values.push(this.apiKeys.pepper);
    values.push(...this.apiKeys.previousPeppers);
    if (this.downstream) values.push(this.downstream.apiKey);
    for (const url of [this.database.url, this.redis.url]) {
      if (!url) continue;
      values.push(url);
      const password = urlPassword(url.reveal());
      if (password) values.push(new Secret(password));
    }
    return values;
  }

  static fromEnv(input: RawEnv): AppConfig {
    const problems: string[] = [];
    const { env: raw, secrets } = readSecrets(input, problems);
    const parsed = envSchema.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        problems.push(`${issue.path.join('.')}: ${issue.message}`);
      }
      throw new ConfigError(problems);
    }
    const env = parsed.data;
    const production = env.NODE_ENV === 'production';
    const context: ParseContext = { production, secrets, problems, devKeysDir: env.DEV_KEYS_DIR };

    const jwt = parseJwt(env, context);
    const apiKeys = parseApiKeys(env, context);
    const downstream = parseDownstream(env, context);
    const http = parseHttp(env, context);
    const cors = parseCors(env, context);
    const log = parseLog(env, context);
    if (problems.length > 0 || !jwt || !apiKeys) throw new ConfigError(problems);

    return new AppConfig({
      nodeEnv: env.NODE_ENV,
      http,
      cors,
      docs: parseDocs(env, context),
      jwt,
      apiKeys,
      database: parseDatabase(env),
      redis: parseRedis(env),
      rateLimit: parseRateLimit(env),
      downstream,
      log,
      shutdown: parseShutdown(env),
      devKeys:
        jwt.keySource.kind === 'dev-issuer' || !apiKeys.pepper ? { dir: env.DEV_KEYS_DIR } : null,
      warnings: production ? plainSecretWarnings(input) : [],
    });
  }
}
