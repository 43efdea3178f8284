import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import type { ZodType } from 'zod';
import { AppModule } from '../app.module';
import { FEATURES } from '../features';
import { AppConfig } from '../kit/config/app-config';
import { ConfigError } from '../kit/config/config-error';
import { LocalEnvFile } from '../kit/config/local-env-file';
import {
  ApiKeyScopeError,
  ApiKeyScopePolicy,
  SCOPE_NOT_ALLOWED,
} from '../kit/api-keys/api-key-scope.policy';
import { ApiKeyStateError } from '../kit/api-keys/api-key-state.error';
import {
  ApiKeyIdSchema,
  CreateApiKeySchema,
  RotateApiKeySchema,
} from '../kit/api-keys/api-key.schema';
import type { ApiKeyMetadata } from '../kit/api-keys/api-key.schema';
import { ApiKeysService } from '../kit/api-keys/api-keys.service';

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
 * `revoke ID`, `rotate ID`: key administration without the HTTP server. It runs on a Nest
 * application context of the app's own modules (AppModule with src/features.ts), so the same
 * migrations run first, keys may carry the scopes the app's `@ApiKeyAuth` routes declare, and
 * with REDIS_URL a revoke or rotate reaches the running instances' caches at once (else within
 * their cache TTL). Security: the plaintext key goes to stdout once, alone on
 * its line, so `KEY=$(npm run -s api-key -- create ...)` captures it and nothing else does;
 * every other message goes to stderr and never contains a key, a digest or a configuration
 * value.
 */
async function main(argv: string[]): Promise<number> {
  if (asksForHelp(argv)) {
    process.stdout.write(USAGE);
    return 0;
  }
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

  LocalEnvFile.load();
  let config: AppConfig;
  try {
    config = AppConfig.fromEnv(process.env);
  } catch (error) {
    process.stderr.write(
      `${error instanceof ConfigError ? error.message : 'Invalid configuration'}\n`,
    );
    return 1;
  }
  let app: INestApplicationContext;
  try {
    app = await NestFactory.createApplicationContext(
      AppModule.forRoot(config, FEATURES, { logDestination: { write: () => undefined } }),
      // Security: Nest's logger writes to stdout, which belongs to the key alone, and its
      // errors can quote a driver's message; the log destination above drops every line.
      { logger: false, abortOnError: false },
    );
  } catch (error) {
    // A failed start (migration, route audit) never hands back the context to close, and a
    // Redis connection it opened would keep the process alive: exit without waiting on it.
    process.exit(failed(error));
  }
  try {
    await run(app.get(ApiKeysService));
    return 0;
  } catch (error) {
    if (error instanceof ApiKeyStateError) {
      process.stderr.write(`${STATE_MESSAGES[error.code]}\n`);
      return 1;
    }
    if (error instanceof ApiKeyScopeError) {
      const allowed = app.get(ApiKeyScopePolicy).allowed.join(' ') || '(none)';
      if (command === 'create') {
        return usage(`--scope: ${SCOPE_NOT_ALLOWED} (API keys may carry: ${allowed})`);
      }
      process.stderr.write(
        `This key carries a scope API keys may no longer have (${SCOPE_NOT_ALLOWED}); revoke it and create a new key.\n`,
      );
      return 1;
    }
    return failed(error);
  } finally {
    // Closes the pool and the Redis connections.
    await app.close().catch(() => undefined);
  }
}

/** Security: a driver error can quote the connection string; only the class name goes out. */
function failed(error: unknown): number {
  process.stderr.write(`failed (${error instanceof Error ? error.name : 'unknown'})\n`);
  return 1;
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

/** `help`, or `--help`/`-h` anywhere, before any other argument is judged. */
function asksForHelp(argv: string[]): boolean {
  return argv[0] === 'help' || argv.some((arg) => arg === '--help' || arg === '-h');
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
