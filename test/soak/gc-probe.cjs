// Preloaded into the soaked peerwatch processes (`node --expose-gc --require`): on SIGUSR2, the
// process's memory at rest as one JSON line on stderr. The soak reads it to tell what peerwatch
// keeps (the live heap after a full collection) from memory V8 and the allocator hold on to (RSS
// beyond it), which the floors of RSS sampled in passing cannot separate.
//
// At rest, because what is in flight is not kept: at `--speed max` the slowest subscriber (the events
// file's writer) holds 25,000-50,000 events, and single probes read replay's live heap anywhere in
// 37-46 MiB within seconds. So the probe first holds the replayed timeline's reads, waits until the
// process's own /metrics shows every bus queue empty twice in a row (`peerwatch_bus_queue_events`;
// the event loop's business is no sign: the events writer waits on gzip with the loop idle), then
// collects, measures and lets the reads go on. A process that reads no timeline (tools) only waits:
// the replay it listens to is held too.
"use strict";
const fs = require("node:fs");

/** The soak's timeline file (test/soak/days-soak.ts writes it): the only input held. */
const INPUT = /[/\\]timeline\.ndjson$/;
const WINDOW_MS = 200;
const MAX_WAIT_MS = 30_000;
/** The process's own /metrics, from its `--metrics host:port` (the soak gives both processes one). */
const at = process.argv.indexOf("--metrics");
const METRICS = at > 0 && /^[\w.[\]:-]+:\d+$/.test(process.argv[at + 1] ?? "") ? `http://${process.argv[at + 1]}/metrics` : undefined;

let held = false;
const waiting = [];
const create = fs.createReadStream;
fs.createReadStream = function createReadStream(file, options) {
  const stream = create.call(this, file, options);
  if (typeof file === "string" && INPUT.test(file)) {
    const read = stream._read;
    // A held read is answered later: the stream's consumer waits for the data, nothing is lost.
    stream._read = function heldRead(n) {
      if (held) waiting.push(() => read.call(this, n));
      else read.call(this, n);
    };
  }
  return stream;
};

/** Events waiting in the process's bus queues, or undefined when /metrics does not answer. */
async function queued() {
  try {
    const text = await (await fetch(METRICS, { signal: AbortSignal.timeout(5000) })).text();
    let n = 0;
    for (const line of text.split("\n")) if (line.startsWith("peerwatch_bus_queue_events")) n += Number(line.slice(line.lastIndexOf(" ") + 1)) || 0;
    return n;
  } catch {
    return undefined;
  }
}

/** Resolves true once the queues were empty twice in a row, false if that did not happen in MAX_WAIT_MS (or there is no /metrics). */
async function rest() {
  if (!METRICS) return false;
  const end = Date.now() + MAX_WAIT_MS;
  let empty = 0;
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    empty = (await queued()) === 0 ? empty + 1 : 0;
    if (empty >= 2) return true;
  }
  return false;
}

let probing = false;
process.on("SIGUSR2", () => {
  if (probing) return;
  probing = true;
  held = true;
  const started = Date.now();
  void rest().then((atRest) => {
    globalThis.gc();
    const m = process.memoryUsage();
    held = false;
    for (const resume of waiting.splice(0)) resume();
    probing = false;
    const line = { msg: "gc-probe", rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
    process.stderr.write(`${JSON.stringify({ ...line, atRest, waitedMs: Date.now() - started })}\n`);
  });
});
