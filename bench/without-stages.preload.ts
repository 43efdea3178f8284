import { dirname, join } from 'node:path';

/**
 * Preloaded (`--require`) into a Leakproof server that `npm run bench -- --without` starts: takes
 * the stages named in BENCH_WITHOUT (`+`-separated) out of the built app's REQUEST_PIPELINE
 * before main.js mounts it, so one layer's cost is the difference between this server and the
 * full one, measured in the same rounds. The build itself is the one that ships; only this
 * process's copy of the list changes.
 */
const names = new Set((process.env.BENCH_WITHOUT ?? '').split('+').filter((n) => n.length > 0));
const main = process.argv[1];
if (names.size > 0 && main) {
  const file = join(dirname(main), 'kit', 'http', 'request-pipeline.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the built app's module, found at run time
  const loaded = require(file) as { REQUEST_PIPELINE: { name: string }[] };
  const pipeline = loaded.REQUEST_PIPELINE;
  const known = new Set(pipeline.map((s) => s.name));
  for (const name of names) {
    if (!known.has(name)) throw new Error(`--without: no pipeline stage named ${name}`);
  }
  for (let i = pipeline.length - 1; i >= 0; i--) {
    if (names.has(pipeline[i].name)) pipeline.splice(i, 1);
  }
}
