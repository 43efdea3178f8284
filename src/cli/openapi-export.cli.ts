import { resolve } from 'node:path';
import { FEATURES } from '../features';
import { OpenApiExport } from '../kit/openapi/openapi-export';

const USAGE = 'usage: npm run openapi [-- PATH]   (default: dist/openapi.json)\n';

/** `npm run openapi [-- PATH]`: writes the OpenAPI document to PATH; no server is started. */
async function main(argv: string[]): Promise<number> {
  if (argv.length > 1 || argv[0]?.startsWith('-')) {
    process.stderr.write(USAGE);
    return 2;
  }
  const path = resolve(argv[0] ?? 'dist/openapi.json');
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
