// Preloaded into the gateway by bench/memory.mjs (node --import): on SIGUSR2 it writes the
// process's memoryUsage(), before and after a full GC (with --expose-gc), as one `MEMJSON` line on
// stderr. Nothing else: the gateway runs as it always does.
process.on('SIGUSR2', () => {
  const before = process.memoryUsage();
  globalThis.gc?.();
  const afterGc = process.memoryUsage();
  process.stderr.write(`MEMJSON ${JSON.stringify({ before, afterGc })}\n`);
});
