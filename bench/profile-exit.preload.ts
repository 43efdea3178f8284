/**
 * Preloaded (`--require`) into a server profiled with `--cpu-prof`: V8 writes the profile only
 * on a normal exit, and Nest's shutdown hooks re-raise SIGTERM, so the harness asks over IPC.
 */
process.on('message', (message) => {
  if (message === 'exit') process.exit(0);
});
