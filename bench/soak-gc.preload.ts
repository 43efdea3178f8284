/**
 * Preloaded (`--require`, with `--expose-gc`) into the server `npm run bench:soak` starts: on
 * SIGUSR2 it runs a full garbage collection, so the RSS the soak reads next is memory the
 * process keeps, not garbage V8 has not collected yet. Without it the samples follow V8's heap
 * sizing, a saw-tooth whose period is a number of requests: at about 10,000 req/s the heap grows
 * for some 100 s before one major collection gives most of it back, which a 90 s soak reads as
 * steady growth.
 */
const collect = (globalThis as { gc?: () => void }).gc;
if (collect) {
  process.on('SIGUSR2', () => {
    collect();
  });
}
