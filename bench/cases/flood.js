// A ping flood from one peer against the same pings spread over 1000 peers, through every tool
// and through the alerts alone: the detector must pay per event under the attack what it pays for
// normal traffic (issue 13), and raise ping-spam.
import { fmt, median, results } from "../lib.js";
import { timeThrough } from "../pipeline-harness.js";
import { captureTemplates, trafficChunks } from "../traffic.js";

export async function run({ events = Number(process.env.BENCH_FLOOD_EVENTS ?? 300_000), rounds = Number(process.env.BENCH_ROUNDS ?? 3) } = {}) {
  const ping = captureTemplates().filter((t) => t.msgType === "ping" && t.direction === "in");
  if (ping.length === 0) throw new Error("no inbound ping in the capture");
  const variants = {
    "flood, one peer: all tools": [{ stage: "bus", tools: { metrics: true, alerts: true, ndjson: true } }, 1],
    "same pings, 1000 peers: all tools": [{ stage: "bus", tools: { metrics: true, alerts: true, ndjson: true } }, 1000],
    "flood, one peer: alerts only": [{ stage: "bus", tools: { alerts: true } }, 1],
    "same pings, 1000 peers: alerts only": [{ stage: "bus", tools: { alerts: true } }, 1000],
  };
  const runs = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (const [opts, peers] of Object.values(variants)) await timeThrough(opts, trafficChunks(ping, 20_000, { peers })); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const [name, [opts, peers]] of Object.entries(variants)) runs[name].push(await timeThrough(opts, trafficChunks(ping, events, { peers })));
  }
  const med = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, median(v.map((x) => x.cpuMs))])); // CPU ms, see pipeline.js
  console.log(`\nFlood: ${fmt(events)} inbound pings (the capture's), ${rounds} rounds, median`);
  for (const k of Object.keys(variants)) {
    const base = k.startsWith("flood") ? k.replace("flood, one peer", "same pings, 1000 peers") : k;
    const last = runs[k].at(-1);
    console.log(
      `  ${k.padEnd(38)} CPU ${med[k].toFixed(0).padStart(7)} ms  ${fmt((events / med[k]) * 1000).padStart(10)} events/CPU-s  ` +
        `×${(med[k] / med[base]).toFixed(2)} of 1000 peers  alerts ${JSON.stringify(last.alerts)} drops ${JSON.stringify(last.dropped)}`,
    );
  }
  results.push({
    title: "flood",
    events,
    cpuMs: med,
    alerts: Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, v.at(-1).alerts])),
    dropped: Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, v.at(-1).dropped])),
  });
}
