import { Logger } from '@nestjs/common';
import { Migrator } from 'kysely/migration';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import type { ZodType } from 'zod';
import { AppModule } from '../app.module';
import { RouteAuditService } from '../kit/auth/route-audit.service';
import { AppConfig } from '../kit/config/app-config';
import { ConfigError } from '../kit/config/config-error';
import { DatabaseFactory } from '../kit/database/database.factory';
import { MigrationSet } from '../kit/database/migration-set';
import { itemsMigrations } from '../demo/items/items.migrations';
import { apiKeysMigrations } from '../kit/api-keys/api-keys.migrations';
import { RedisConnection } from '../kit/redis/redis-connection';
import { ApiKeyRevocationFanout } from '../kit/api-keys/api-key-revocation.fanout';
import {
  ApiKeyScopeError,
  ApiKeyScopePolicy,
  SCOPE_NOT_ALLOWED,
} from '../kit/api-keys/api-key-scope.policy';
import { ApiKeyStateError } from '../kit/api-keys/api-key-state.error';
import { ApiKeyHasher } from '../kit/api-keys/api-key.hasher';
import { ApiKeyRepository } from '../kit/api-keys/api-key.repository';
import {
  ApiKeyIdSchema,
  CreateApiKeySchema,
  RotateApiKeySchema,
} from '../kit/api-keys/api-key.schema';
import type { ApiKeyMetadata } from '../kit/api-keys/api-key.schema';
import { ApiKeyVerifier } from '../kit/api-keys/api-key.verifier';
import { ApiKeysService } from '../kit/api-keys/api-keys.service';
import { DemoModule } from '../demo/demo.module';

const USAGE = `usage: npm run api-key -- <command>
  create --name NAME --scope SCOPE [--scope SCOPE ...] [--expires 90d]
  list
  revoke ID
  rotate ID [--overlap 24h] [--expires 90d]
Durations: a number and s, m, h or d. The key is printed once, to stdout, by create and rotate.
`;

/** Bad arguments (exit 2), as distinct from an operation that failed (exit 1). */
class UsageError extends Error {}

interface Options {
  name?: string;
  scope?: string[];
  expires?: string;
  overlap?: string;
}

/**
 * `npm run api-key -- create --name ci --scope stock:write [--expires 90d]`, `list`,
 * `revoke ID`, `rotate ID`: key administration without the HTTP server, against the database
 * the server uses (migrated first). Security: the plaintext key goes to stdout once, alone on
 * its line, so `KEY=$(npm run -s api-key -- create ...)` captures it and nothing else does;
 * every other message goes to stderr and never contains a key, a digest or a configuration
 * value.
 */
async function main(argv: string[]): Promise<number> {
  let command: string | undefined;
  let options: Options;
  let positionals: string[];
  try {
    const parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        name: { type: 'string' },
        scope: { type: 'string', multiple: true },
        expires: { type: 'string' },
        overlap: { type: 'string' },
      },
    });
    [command, ...positionals] = parsed.positionals;
    options = parsed.values;
  } catch {
    return usage('unknown option or missing option value');
  }

  let run: (keys: ApiKeysService) => Promise<void>;
  try {
    run = plan(command, options, positionals);
  } catch (error) {
    if (error instanceof UsageError) return usage(error.message);
    throw error;
  }

  let config: AppConfig;
  try {
    config = AppConfig.fromEnv(process.env);
  } catch (error) {
    process.stderr.write(
      `${error instanceof ConfigError ? error.message : 'Invalid configuration'}\n`,
    );
    return 1;
  }
  // Nest's default logger writes to stdout, which belongs to the key alone.
  Logger.overrideLogger(false);
  const policy = scopePolicy(config);
  // An idle-connection error is reported when the operation's own query fails; never thrown here.
  const db = DatabaseFactory.create(config, () => undefined);
  try {
    const { error } = await new Migrator({
      db,
      provider: new MigrationSet([apiKeysMigrations, itemsMigrations]),
    }).migrateToLatest();
    if (error) throw new Error('migration');
    const repository = new ApiKeyRepository(db);
    const hasher = new ApiKeyHasher(config);
    const verifier = new ApiKeyVerifier(repository, hasher, config);
    // With REDIS_URL, a revoke or rotate made here reaches the running instances' caches at
    // once (ApiKeyRevocationFanout); without it, within their cache TTL.
    const redis = new RedisConnection(config);
    await redis.onModuleInit();
    try {
      const fanout = new ApiKeyRevocationFanout(redis, verifier);
      await run(new ApiKeysService(repository, hasher, verifier, config, policy, fanout));
    } finally {
      await redis.onApplicationShutdown();
    }
    return 0;
  } catch (error) {
    if (error instanceof ApiKeyStateError) {
      process.stderr.write(`${STATE_MESSAGES[error.code]}\n`);
      return 1;
    }
    if (error instanceof ApiKeyScopeError) {
      const allowed = policy.allowed.join(' ') || '(none)';
      if (command === 'create') {
        return usage(`--scope: ${SCOPE_NOT_ALLOWED} (API keys may carry: ${allowed})`);
      }
      process.stderr.write(
        `This key carries a scope API keys may no longer have (${SCOPE_NOT_ALLOWED}); revoke it and create a new key.\n`,
      );
      return 1;
    }
    // Security: a driver error can quote the connection string; only the class name goes out.
    process.stderr.write(`failed (${error instanceof Error ? error.name : 'unknown'})\n`);
    return 1;
  } finally {
    await db.destroy();
  }
}

/**
 * The scopes keys may carry, as in the app: API_KEY_ALLOWED_SCOPES, else those its `@ApiKeyAuth`
 * routes need, read from the app's module tree without starting it (nothing is written: the log
 * destination is a sink that drops everything).
 */
function scopePolicy(config: AppConfig): ApiKeyScopePolicy {
  if (config.apiKeys.allowedScopes) return ApiKeyScopePolicy.of(config, []);
  const app = AppModule.forRoot(config, [DemoModule], {
    logDestination: { write: () => undefined },
  });
  return ApiKeyScopePolicy.of(
    config,
    RouteAuditService.routesOf(RouteAuditService.controllersIn(app)),
  );
}

const STATE_MESSAGES: Record<ApiKeyStateError['code'], string> = {
  not_found: 'No API key has this id.',
  not_active: 'Only an active key can be rotated.',
  already_rotated: 'This key has been rotated already; rotate its successor.',
};

/** Validates the arguments before anything is opened, and returns what to run. */
function plan(
  command: string | undefined,
  options: Options,
  positionals: string[],
): (keys: ApiKeysService) => Promise<void> {
  const actor = `cli:${currentUser()}`;
  switch (command) {
    case 'create': {
      only(options, ['name', 'scope', 'expires']);
      if (positionals.length > 0) throw new UsageError('create takes no positional arguments');
      const input = validate(
        CreateApiKeySchema,
        {
          name: options.name,
          scopes: (options.scope ?? []).flatMap((s) => s.split(/[\s,]+/)).filter(Boolean),
          expiresIn: options.expires,
        },
        { name: '--name', scopes: '--scope', expiresIn: '--expires' },
      );
      return async (keys) => {
        const created = await keys.create(input, actor);
        process.stdout.write(`${created.key}\n`);
        process.stderr.write(
          `Created ${describe(created)}\nStore the key now: it is not shown again.\n`,
        );
      };
    }
    case 'list': {
      only(options, []);
      if (positionals.length > 0) throw new UsageError('list takes no arguments');
      return async (keys) => {
        const rows = await keys.list();
        const lines = rows.map((k) =>
          [
            k.id,
            k.status,
            k.name,
            k.scopes.join(','),
            k.expiresAt ?? '-',
            k.lastUsedAt ?? '-',
          ].join('\t'),
        );
        process.stdout.write(
          ['id\tstatus\tname\tscopes\texpires\tlast used', ...lines].join('\n') + '\n',
        );
      };
    }
    case 'revoke': {
      only(options, []);
      const id = idArgument(positionals);
      return async (keys) => {
        const revoked = await keys.revoke(id, actor);
        process.stderr.write(`Revoked ${describe(revoked)}\n`);
      };
    }
    case 'rotate': {
      only(options, ['overlap', 'expires']);
      const id = idArgument(positionals);
      const input = validate(
        RotateApiKeySchema,
        {
          overlap: options.overlap,
          expiresIn: options.expires,
        },
        { overlap: '--overlap', expiresIn: '--expires' },
      );
      return async (keys) => {
        const rotated = await keys.rotate(id, input, actor);
        process.stdout.write(`${rotated.key}\n`);
        process.stderr.write(
          `Rotated ${rotated.previous.id} into ${describe(rotated)}\n` +
            `The old key works until ${rotated.previous.expiresAt ?? 'its expiry'}. Store the new key now: it is not shown again.\n`,
        );
      };
    }
    default:
      throw new UsageError(command === undefined ? 'no command' : 'unknown command');
  }
}

function idArgument(positionals: string[]): string {
  if (positionals.length !== 1) throw new UsageError('expected exactly one key id');
  const parsed = ApiKeyIdSchema.safeParse(positionals[0]);
  if (!parsed.success) throw new UsageError('the key id is 12 letters and digits (see list)');
  return parsed.data;
}

function only(options: Options, allowed: (keyof Options)[]): void {
  for (const key of Object.keys(options) as (keyof Options)[]) {
    if (!allowed.includes(key)) throw new UsageError(`--${key} does not apply to this command`);
  }
}

/**
 * Names the flag and the rule it broke; never echoes the value (it may be a pasted key). A rule
 * with a name of its own (`secret_shaped`) is named; any other broken rule is `invalid`.
 */
function validate<T>(schema: ZodType<T>, input: unknown, flags: Record<string, string>): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const field = typeof issue.path[0] === 'string' ? issue.path[0] : '';
    const named = issue.code === 'custom' ? (issue.params?.rule as unknown) : undefined;
    const rule =
      issue.code === 'invalid_type' ? 'required' : typeof named === 'string' ? named : 'invalid';
    return `${flags[field] ?? 'arguments'}: ${rule}`;
  });
  throw new UsageError([...new Set(problems)].join('; '));
}

function describe(key: ApiKeyMetadata): string {
  return `${key.id} (${key.prefix}..., ${key.name}, scopes ${key.scopes.join(' ')}, expires ${key.expiresAt ?? 'never'})`;
}

function currentUser(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}

function usage(problem: string): number {
  process.stderr.write(`${problem}\n${USAGE}`);
  return 2;
}

void main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  })
  .catch(() => {
    process.exitCode = 1;
  });
