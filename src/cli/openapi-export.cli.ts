import { resolve } from 'node:path';
import { FEATURES } from '../features';
import { OpenApiExport } from '../kit/openapi/openapi-export';

const USAGE = 'usage: npm run openapi [-- PATH]   (default: openapi.json, git-ignored)\n';

/**
 * `npm run openapi [-- PATH]`: writes the OpenAPI document to PATH; no server is started. The
 * default is outside dist/, which every build empties; npm runs the script in the repository
 * root, so it lands beside package.json.
 */
async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (argv.length > 1 || argv[0]?.startsWith('-')) {
    process.stderr.write(USAGE);
    return 2;
  }
  const path = resolve(argv[0] ?? 'openapi.json');
  try {
    await OpenApiExport.write(path, FEATURES);
    process.stdout.write(`wrote ${path}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : 'failed'}\n`);
    return 1;
  }
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
