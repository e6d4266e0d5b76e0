#!/usr/bin/env node
// peerwatch benchmarks. Each compares variants side by side in one run (interleaved rounds, median
// of each) and reports ratios, which hold across machines better than absolute figures.
// Usage: npm run bench [-- NAME ...]   (builds first; benchmarks import dist/)
//   no name: the quick ones (ebpf-parse, bus, metrics-scrape, pipeline, flood, log-parse)
import { writeResults } from "./lib.js";

const CASES = {
  "ebpf-parse": "eBPF line parsing against JSON.parse",
  bus: "the bus against calling handlers directly",
  "metrics-scrape": "a metrics scrape with 1000 peers against 10",
  flood: "300,000 pings from one peer against the same pings from 1000 peers",
  detectors: "the alert engine with and without issue 20's detectors on the demo's events, and an inv flood from one peer against 1000",
  validate: "event validation: zod against the check ajv compiles from it",
  memory: "RSS after 1M and 10M replayed events through every tool, 1000 peers in snapshots (minutes)",
  ipc: "a net-message flood from the C++ stand-in node over IPC tracing into peerwatch observe",
  pipeline: "recorded traffic through parse, event, bus and every tool: events/s and each stage's share",
  "rpc-transport": "getpeerinfo over HTTP: the undici transport against the old bitcoin-core client (when installed)",
  iplists: "IP list lookups: the prefix tree against net.BlockList",
  compare: "compare's analysis of an IPC + eBPF message flood against the metrics tool",
  replay: "replay at --speed max (gzip, decode, player, bus, metrics) against decoding in memory; 1M events of recorded traffic into every tool",
  nats: "events through a local nats-server (core and JetStream) against the in-process bus",
  "log-parse": "the debug.log parser on the real regtest log against JSON.parse of its events",
  "log-follow": "following a 30 MB debug.log against reading it whole; memory of a 64 MB line",
};
const QUICK = ["ebpf-parse", "bus", "metrics-scrape", "pipeline", "flood", "log-parse"];

const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  console.log("usage: node bench/run.js [NAME ...]\n");
  for (const [k, v] of Object.entries(CASES)) console.log(`  ${k.padEnd(16)} ${v}`);
  process.exit(0);
}
const names = args.length ? args : QUICK;
for (const n of names) {
  if (!Object.hasOwn(CASES, n)) {
    console.error(`unknown benchmark "${n}"; one of: ${Object.keys(CASES).join(", ")}`);
    process.exit(2);
  }
}
for (const n of names) {
  const { run } = await import(`./cases/${n}.js`);
  await run();
}
writeResults(names);
