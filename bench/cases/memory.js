// Memory: RSS after 1M and after 10M replayed events through every tool (1000 peers in snapshots)
// must agree within ±10 % (issue 13), and every queue, window and label set stays bounded. The
// recording is made here as NDJSON from the pipeline's traffic (what `--events` writes), and
// replayed from the file by bench/memory-child.js in a fresh process.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { dist, record, results, root } from "../lib.js";
import { PAYLOAD_BYTES, captureTemplates, snapshotPeer, trafficChunks } from "../traffic.js";

export async function run({ small = Number(process.env.BENCH_MEMORY_SMALL ?? 1_000_000), big = Number(process.env.BENCH_MEMORY_BIG ?? 10_000_000) } = {}) {
  const { parseLine } = await dist("ebpf/line-parser.js");
  const { makeEvent, encodeEvent } = await dist("events/index.js");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-bench-mem-"));
  const file = path.join(dir, "recording.ndjson");
  const out = fs.openSync(file, "w");
  const peers = Array.from({ length: 1000 }, (_, i) => snapshotPeer(i));
  let n = 0;
  for (const chunk of trafficChunks(captureTemplates(), 100_000, { peers: 1000 })) {
    const text = [];
    for (const l of chunk) {
      const r = parseLine(l, PAYLOAD_BYTES);
      if (r.kind !== "event") continue;
      if (n++ % 10_000 === 0) text.push(encodeEvent(makeEvent("rpc", "bench", "peers.snapshot", { peers })));
      text.push(encodeEvent(makeEvent("ebpf", "bench", r.type, r.data)));
    }
    fs.writeSync(out, text.join("\n") + "\n");
  }
  fs.closeSync(out);
  try {
    const stdout = execFileSync(process.execPath, ["--expose-gc", path.join(root, "bench/memory-child.js"), file, String(small), String(big)], {
      encoding: "utf8",
      maxBuffer: 1 << 20,
    });
    const [a, b] = stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const change = (b.rssMB / a.rssMB - 1) * 100;
    record(`Memory: a ${fs.statSync(file).size >> 20} MB NDJSON recording replayed through every tool (1000 peers in snapshots)`, {
      [`RSS after ${a.events.toLocaleString("en")} events`]: `${a.rssMB.toFixed(0)} MB (heap ${a.heapUsedMB.toFixed(0)} MB)`,
      [`RSS after ${b.events.toLocaleString("en")} events`]: `${b.rssMB.toFixed(0)} MB (heap ${b.heapUsedMB.toFixed(0)} MB)`,
      "change (target within ±10 %)": `${change >= 0 ? "+" : ""}${change.toFixed(1)} % (${Math.abs(change) <= 10 ? "met" : "missed"})`,
      "replay rate (decode + every tool)": `${Math.round(b.events / b.cpuS).toLocaleString("en")} events per CPU-second`,
      "dropped / invalid": `${JSON.stringify(b.dropped)} / ${b.invalid}`,
      [`bounded structures at ${a.events.toLocaleString("en")}`]: JSON.stringify({
        ...a,
        events: undefined,
        rssMB: undefined,
        heapUsedMB: undefined,
        cpuS: undefined,
        dropped: undefined,
        alerts: undefined,
        invalid: undefined,
      }),
      [`bounded structures at ${b.events.toLocaleString("en")}`]: JSON.stringify({
        ...b,
        events: undefined,
        rssMB: undefined,
        heapUsedMB: undefined,
        cpuS: undefined,
        dropped: undefined,
        alerts: undefined,
        invalid: undefined,
      }),
    });
    results.push({ title: "memory", checkpoints: [a, b], rssChangePercent: change });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
