import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

/**
 * A `.env` file for local development (copy `.env.example`): read when it exists, silently
 * skipped when it does not. Node's `--env-file-if-exists` flag does the same but prints a line
 * on every start without the file, which is every start in production and CI.
 *
 * A variable already set in the environment wins over the file, as with Node's flag, so a
 * deployment's own settings are never overridden by a stray file.
 */
export class LocalEnvFile {
  /** True when the file existed and was read. */
  static load(path = '.env', env: NodeJS.ProcessEnv = process.env): boolean {
    if (!existsSync(path)) return false;
    for (const [name, value] of Object.entries(parseEnv(readFileSync(path, 'utf8')))) {
      if (env[name] === undefined) env[name] = value;
    }
    return true;
  }
}
