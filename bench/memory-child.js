// Run by bench/cases/memory.js in a process of its own (--expose-gc): replays an NDJSON recording
// (decodeEventLine, as replay does) through every tool, over and over with timestamps moving at
// 250,000 events/s, with a peers.snapshot of 1000 peers every 10,000 events, and prints RSS and the
// sizes of every bounded structure after each checkpoint, as JSON lines.
import fs from "node:fs";
import readline from "node:readline";
import { dist } from "./lib.js";
import { pipeline } from "./pipeline-harness.js";

const { decodeEventLine } = await dist("events/index.js");
const [file, ...checkpoints] = process.argv.slice(2);
const marks = checkpoints.map(Number);
const total = Math.max(...marks);
const lines = [];
for await (const l of readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity })) if (l) lines.push(l);

const p = await pipeline({ stage: "bus", tools: { metrics: true, alerts: true, ndjson: true } });
const t0 = 1_795_470_000_000_000;
let n = 0;
let invalid = 0;
const CHUNK = 10_000;
const cpu0 = process.cpuUsage();
while (n < total) {
  const batch = [];
  for (let k = 0; k < CHUNK && n < total; k++, n++) {
    const r = decodeEventLine(lines[n % lines.length]);
    if (!r.ok) {
      invalid++;
      continue;
    }
    // 250,000 events/s of event time: windows move as they would live. A copy, as replay's loop
    // makes one: a decoded event is never changed in place (its line stands for it).
    batch.push({ ...r.value, ts: t0 + n * 4 });
  }
  await p.feedEvents(batch);
  if (marks.includes(n)) {
    // Settle: collect, give V8 a moment to hand freed pages back, collect again.
    globalThis.gc?.();
    await new Promise((r) => setTimeout(r, 500));
    globalThis.gc?.();
    const mem = process.memoryUsage();
    const cpu = process.cpuUsage(cpu0);
    console.log(
      JSON.stringify({
        events: n,
        rssMB: mem.rss / 2 ** 20,
        heapUsedMB: mem.heapUsed / 2 ** 20,
        cpuS: (cpu.user + cpu.system) / 1e6,
        invalid,
        ...p.stats(),
        ...(await p.sizes()),
      }),
    );
  }
}
await p.close();
