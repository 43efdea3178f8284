import { NestFactory } from '@nestjs/core';
import { parseArgs } from 'node:util';
import { DevIssuer } from '../kit/auth/dev-issuer';
import { AppConfig } from '../kit/config/app-config';
import { ConfigError } from '../kit/config/config-error';
import { DevTokenModule } from './dev-token.module';
import { LocalEnvFile } from '../kit/config/local-env-file';

/**
 * `npm run token -- --sub alice --scope items:read [--scope items:write] [--ttl 900]`
 * Prints one token to stdout and nothing else, so `TOKEN=$(npm run -s token -- ...)` works.
 * Runs on a Nest application context of DevTokenModule.
 */
const USAGE = 'usage: npm run token -- --sub NAME [--scope S ...] [--ttl SECONDS]\n';

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'help' || argv.some((arg) => arg === '--help' || arg === '-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  let values: { sub?: string; scope?: string[]; ttl?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        sub: { type: 'string' },
        scope: { type: 'string', multiple: true },
        ttl: { type: 'string' },
      },
    }));
  } catch {
    process.stderr.write(USAGE);
    return 2;
  }
  if (!values.sub) {
    process.stderr.write(USAGE);
    return 2;
  }
  const ttl = values.ttl === undefined ? undefined : Number(values.ttl);
  if (ttl !== undefined && (!Number.isInteger(ttl) || ttl < 1)) {
    process.stderr.write('--ttl must be a whole number of seconds\n');
    return 2;
  }
  LocalEnvFile.load();
  try {
    const app = await NestFactory.createApplicationContext(
      DevTokenModule.forRoot(AppConfig.fromEnv(process.env)),
      // Nest's logger writes to stdout, which belongs to the token alone.
      { logger: false, abortOnError: false },
    );
    try {
      const issuer = app.get(DevIssuer);
      const scopes = (values.scope ?? []).flatMap((s) => s.split(/[\s,]+/)).filter(Boolean);
      process.stdout.write(`${issuer.mint({ subject: values.sub, scopes, ttlSeconds: ttl })}\n`);
      return 0;
    } finally {
      await app.close();
    }
  } catch (error) {
    process.stderr.write(
      `${error instanceof ConfigError || error instanceof Error ? error.message : 'failed'}\n`,
    );
    return 1;
  }
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
