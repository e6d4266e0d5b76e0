// End to end: recorded real traffic (the regtest capture, repeated over 1000 peers) through parse,
// event, bus and every tool (metrics, alerts, NDJSON to /dev/null) in one process, and the same
// pipeline cut after each stage or with one tool at a time, side by side in one run: the
// differences are each stage's share. Target (issue 13): ≥ 250,000 events/s through every tool.
import os from "node:os";
import { fmt, median, record, results } from "../lib.js";
import { dist } from "../lib.js";
import { timeThrough } from "../pipeline-harness.js";
import { PAYLOAD_BYTES, captureTemplates, trafficChunks } from "../traffic.js";

/**
 * A yardstick measured in the same rounds: JSON.parse of the same events as NDJSON. The machine's
 * load changes absolute figures; the ratio to this does not, much (docs/benchmarks.md).
 */
async function yardstick(templates, events) {
  const { parseLine } = await dist("ebpf/line-parser.js");
  const { makeEvent, encodeEvent } = await dist("events/index.js");
  const lines = [];
  for (const chunk of trafficChunks(templates, 50_000, { peers: 1000 })) {
    for (const l of chunk) {
      const r = parseLine(l, PAYLOAD_BYTES);
      if (r.kind === "event") lines.push(encodeEvent(makeEvent("ebpf", "bench", r.type, r.data)));
    }
  }
  const built = lines.map((l) => JSON.parse(l));
  const time = (f) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    f();
    const c = process.cpuUsage(c0);
    return { ms: performance.now() - t0, cpuMs: (c.user + c.system) / 1000, events };
  };
  return {
    parse: () =>
      time(() => {
        for (let i = 0; i < events; i++) JSON.parse(lines[i % lines.length]);
      }),
    // What NDJSON out cannot go below with JSON.stringify: encoding alone, no batching or writing.
    stringify: () =>
      time(() => {
        let n = 0;
        for (let i = 0; i < events; i++) n += JSON.stringify(built[i % built.length]).length;
        return n;
      }),
  };
}

const TARGET = 250_000;
const YARDSTICK = "yardstick: JSON.parse of the same events";
const STRINGIFY = "JSON.stringify of the same events";

export const VARIANTS = {
  parse: { stage: "parse" },
  "parse+event": { stage: "event" },
  "parse+event+validate (decodeEvent)": { stage: "validate" },
  "parse+event+bus (no-op tools)": { stage: "bus" },
  "bus + metrics": { stage: "bus", tools: { metrics: true } },
  "bus + alerts": { stage: "bus", tools: { alerts: true } },
  "bus + ndjson": { stage: "bus", tools: { ndjson: true } },
  "bus + binary recording (.pwb)": { stage: "bus", tools: { binary: true } },
  "metrics + alerts (no NDJSON out)": { stage: "bus", tools: { metrics: true, alerts: true } },
  "all tools (end to end)": { stage: "bus", tools: { metrics: true, alerts: true, ndjson: true } },
  "all tools, binary recording (end to end)": { stage: "bus", tools: { metrics: true, alerts: true, binary: true } },
};
/** Issue 21's target for the pipeline with its recording: events per CPU-second. */
const TARGET_21 = 500_000;

export async function run({
  events = Number(process.env.BENCH_EVENTS ?? 1_000_000),
  rounds = Number(process.env.BENCH_ROUNDS ?? 3),
  variants = VARIANTS,
} = {}) {
  const templates = captureTemplates();
  const runs = Object.fromEntries([...Object.keys(variants), YARDSTICK, STRINGIFY].map((k) => [k, []]));
  const json = await yardstick(templates, events);
  // Warm-up: every variant once on a little traffic, so no variant pays the JIT for the others.
  for (const opts of Object.values(variants)) await timeThrough(opts, trafficChunks(templates, 20_000, { peers: 1000 }));
  for (let r = 0; r < rounds; r++) {
    for (const [name, opts] of Object.entries(variants)) {
      runs[name].push(await timeThrough(opts, trafficChunks(templates, events, { peers: 1000 })));
    }
    runs[YARDSTICK].push(json.parse());
    runs[STRINGIFY].push(json.stringify());
  }
  // CPU time of the process (all its threads: GC helpers and file writes included) is the measure:
  // it is what "one core" pays, and unlike wall time it holds on a machine shared with other work.
  const wall = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, median(v.map((x) => x.ms))]));
  const med = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, median(v.map((x) => x.cpuMs))]));
  const n = runs["all tools (end to end)"][0].events;
  console.log(
    `\nPipeline: ${fmt(n)} events of recorded traffic (regtest capture, 1000 peers), ${rounds} rounds, median; load average ${os.loadavg()[0].toFixed(1)} ` +
      `on ${os.cpus().length} CPUs`,
  );
  for (const k of [...Object.keys(variants), YARDSTICK, STRINGIFY]) {
    console.log(
      `  ${k.padEnd(40)} CPU ${med[k].toFixed(0).padStart(7)} ms  ${((med[k] * 1000) / n).toFixed(2).padStart(6)} µs/event  ` +
        `${fmt((n / med[k]) * 1000).padStart(10)} events/CPU-s   (wall ${fmt((n / wall[k]) * 1000)} events/s)`,
    );
  }
  const base = med["parse+event+bus (no-op tools)"];
  const share = {
    "parse/decode": med.parse,
    event: med["parse+event"] - med.parse,
    bus: base - med["parse+event"],
    metrics: med["bus + metrics"] - base,
    alerts: med["bus + alerts"] - base,
    ndjson: med["bus + ndjson"] - base,
  };
  const binaryShare = med["bus + binary recording (.pwb)"] - base;
  const sum = Object.values(share).reduce((a, b) => a + b, 0);
  const all = med["all tools (end to end)"];
  console.log(`\n  stage shares of CPU (differences between the variants above; sum ${sum.toFixed(0)} ms vs ${all.toFixed(0)} ms end to end)`);
  for (const [k, ms] of Object.entries(share))
    console.log(
      `    ${k.padEnd(14)} ${ms.toFixed(0).padStart(6)} ms  ${((ms / sum) * 100).toFixed(1).padStart(5)} %  ${((ms * 1000) / n).toFixed(2)} µs/event`,
    );
  console.log(`    (of NDJSON's share, JSON.stringify alone: ${((med[STRINGIFY] * 1000) / n).toFixed(2)} µs/event)`);
  console.log(
    `    (validate, decodeEvent: ${(med["parse+event+validate (decodeEvent)"] - med["parse+event"]).toFixed(0)} ms, not on the eBPF path: it runs on ` +
      `decoded input, NDJSON replay and NATS)`,
  );
  console.log(
    `    (binary recording in NDJSON's place: ${binaryShare.toFixed(0)} ms, ${((binaryShare * 1000) / n).toFixed(2)} µs/event, ` +
      `×${(binaryShare / share.ndjson).toFixed(2)} of NDJSON's share)`,
  );
  const allBin = med["all tools, binary recording (end to end)"];
  const rateBin = (n / allBin) * 1000;
  console.log(
    `\n  issue 21: every tool with the binary recording: ${fmt(rateBin)} events/CPU-s, ×${(allBin / all).toFixed(2)} of the CPU with NDJSON out, ` +
      `×${(allBin / med[YARDSTICK]).toFixed(2)} of JSON.parse; target ${fmt(TARGET_21)}: ` +
      `${rateBin >= TARGET_21 ? "met" : `missed by ${((1 - rateBin / TARGET_21) * 100).toFixed(0)} %`}`,
  );
  const last = runs["all tools (end to end)"].at(-1);
  const rate = (n / all) * 1000;
  const ratio = all / med[YARDSTICK];
  console.log(`\n  end to end costs ×${ratio.toFixed(2)} of JSON.parse of the same events (the yardstick), measured in the same rounds`);
  console.log(
    `\n  ${fmt(rate)} events/s on one core end to end through every tool (wall clock: ${fmt((n / wall["all tools (end to end)"]) * 1000)} events/s; target ` +
      `${fmt(TARGET)}: ${rate >= TARGET ? "met" : `missed by ${((1 - rate / TARGET) * 100).toFixed(0)} %`}); drops ${JSON.stringify(last.dropped)}; ` +
      `alerts ${JSON.stringify(last.alerts)}`,
  );
  results.push({
    title: "pipeline",
    events: n,
    cpuMs: med,
    wallMs: wall,
    shareMs: share,
    eventsPerSecond: rate,
    binaryEventsPerCpuSecond: rateBin,
    binaryToNdjsonCpu: allBin / all,
    target: TARGET,
    ratioToJsonParse: ratio,
    loadAverage: os.loadavg()[0],
    dropped: last.dropped,
    alerts: last.alerts,
  });
  record("pipeline: headline", { "events/s end to end": rate });
}
