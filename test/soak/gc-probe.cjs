// Preloaded into the soaked peerwatch processes (`node --expose-gc --require`): on SIGUSR2, a full
// collection, then the process's memory by part on stderr as one JSON line. The soak reads it to tell
// what peerwatch keeps (the live heap after a full collection) from memory V8 and the allocator hold
// on to (RSS beyond it), which the floors of RSS sampled in passing cannot separate.
"use strict";
process.on("SIGUSR2", () => {
  globalThis.gc();
  const m = process.memoryUsage();
  process.stderr.write(`${JSON.stringify({ msg: "gc-probe", rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers })}\n`);
});
