#!/usr/bin/env node
// peerwatch benchmarks. Each compares variants side by side in one run (interleaved rounds, median
// of each) and reports ratios, which hold across machines better than absolute figures.
// Usage: npm run bench   (builds first; benchmarks import dist/)
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = (p) => import(path.join(root, "dist", p));
const { parseLine } = await dist("ebpf/line-parser.js");
const { MemoryBus } = await dist("bus/index.js");
const { makeEvent } = await dist("events/index.js");
const { createMetricsRegistry } = await dist("tools/metrics/index.js");
const { loadIpLists } = await dist("tools/iplists/load-lists.js");
const { Comparer } = await dist("tools/compare/comparer.js");

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Runs each variant `rounds` times, interleaved; returns median ms per variant. */
async function compare(variants, rounds = 7) {
  const times = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(variants)) {
      const t0 = performance.now();
      await fn();
      times[name].push(performance.now() - t0);
    }
  }
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
}

const results = [];
function report(title, med, base, unitsPerRun, unit) {
  console.log(`\n${title}`);
  for (const [k, ms] of Object.entries(med)) {
    const rate = unitsPerRun ? `  ${Math.round((unitsPerRun / ms) * 1000).toLocaleString("en")} ${unit}/s` : "";
    console.log(`  ${k.padEnd(44)} ${ms.toFixed(2).padStart(9)} ms  ×${(ms / med[base]).toFixed(2)} of ${base}${rate}`);
  }
  results.push({ title, medianMs: med, baseline: base });
}

// 1. eBPF line parsing: peerwatch's parser vs JSON.parse of the same events as NDJSON.
{
  const recorded = fs.readFileSync(path.join(root, "test/ebpf/recorded/fixture-all.txt"), "utf8").split("\n").filter((l) => /^[A-Z]\t/.test(l));
  const lines = Array.from({ length: 50_000 }, (_, i) => recorded[i % recorded.length]);
  const ndjson = lines.map((l) => JSON.stringify(parseLine(l, 64)));
  const med = await compare({
    "parseLine (hex fields, decode, validate)": () => { for (const l of lines) parseLine(l, 64); },
    "JSON.parse of the same events": () => { for (const l of ndjson) JSON.parse(l); },
  });
  report("eBPF: 50,000 bpftrace lines (bpftrace itself delivers ~79,000 lines/s here)", med, "JSON.parse of the same events", lines.length, "lines");
}

// 2. The bus: 100,000 events to 3 subscribers vs calling 3 handlers directly.
{
  const events = Array.from({ length: 100_000 }, (_, i) => makeEvent("ebpf", "b", "net.message", { peerId: i % 100, addr: "127.0.0.1:1", connType: "inbound", direction: "in", msgType: "inv", size: 37 }));
  let sink = 0;
  const handler = (e) => { sink += e.data.size; };
  const med = await compare({
    "MemoryBus, 3 bounded subscribers": async () => {
      const bus = new MemoryBus({ nodeName: "b", defaultMaxQueue: 200_000 });
      const subs = [0, 1, 2].map((i) => bus.subscribe({ name: `s${i}`, prefixes: ["net."] }, handler));
      for (const e of events) bus.publish(e);
      while (subs.some((s) => s.pending > 0)) await new Promise((r) => setImmediate(r));
      await bus.close(0);
    },
    "3 handlers called directly": () => { for (const e of events) { handler(e); handler(e); handler(e); } },
  });
  report("Bus: 100,000 events, 3 subscribers", med, "3 handlers called directly", events.length, "events");
  if (sink < 0) console.log(sink);
}

// 3. Metrics: a scrape with 1000 peers vs with 10.
{
  const lists = loadIpLists();
  const peer = (id) => ({ id, addr: `198.51.${id >> 8}.${id & 255}:8333`, network: "ipv4", inbound: id % 2 === 0, connectionType: id % 2 ? "outbound-full-relay" : "inbound", transport: id % 3 ? "v2" : "v1", pingMs: 40 + (id % 50), minPingMs: 30, version: 70016, subversion: "/Satoshi:29.0.0/", relayTxes: true, minFeeFilterSatVb: 1, bytesSent: 1, bytesRecv: 1, connTime: 1, mappedAs: 64500 + (id % 300) });
  const setup = (n) => {
    const bus = new MemoryBus({ nodeName: "b" });
    const m = createMetricsRegistry(bus, lists);
    m.handle(makeEvent("rpc", "b", "peers.snapshot", { peers: Array.from({ length: n }, (_, i) => peer(i)) }));
    for (let i = 0; i < 5000; i++) m.handle(makeEvent("ebpf", "b", "net.message", { peerId: i % n, addr: "x", connType: "inbound", direction: i % 2 ? "in" : "out", msgType: ["inv", "tx", "ping", "addrv2"][i % 4], size: 40 }));
    return { bus, m };
  };
  const small = setup(10);
  const big = setup(1000);
  const med = await compare({
    "snapshot of 1000 peers + scrape": async () => { big.m.handle(makeEvent("rpc", "b", "peers.snapshot", { peers: Array.from({ length: 1000 }, (_, i) => peer(i)) })); await big.m.registry.metrics(); },
    "snapshot of 10 peers + scrape": async () => { small.m.handle(makeEvent("rpc", "b", "peers.snapshot", { peers: Array.from({ length: 10 }, (_, i) => peer(i)) })); await small.m.registry.metrics(); },
  }, 15);
  report("Metrics: peers.snapshot + /metrics scrape", med, "snapshot of 10 peers + scrape");
  await small.bus.close(0);
  await big.bus.close(0);
}

// 4. compare: the analysis of a message flood (IPC and eBPF both tracing, 100 peers) vs the metrics
// tool handling the same events: compare must keep up with what observe's tools keep up with.
{
  const types = ["ping", "pong", "inv", "tx", "addrv2", "getdata"];
  const events = [];
  for (let i = 0; i < 50_000; i++) {
    const data = { peerId: i % 100, addr: "x", connType: "inbound", direction: i % 2 ? "in" : "out", msgType: types[i % types.length], size: 8 + (i % 300) };
    const ts = 1_795_470_000_000_000 + i * 20;
    events.push(makeEvent("ipc", "b", "net.message", { ...data, receivedTs: ts + 1500 }, ts), makeEvent("ebpf", "b", "net.message", data, ts + 1000));
  }
  const lists = loadIpLists();
  const bus = new MemoryBus({ nodeName: "b" });
  const m = createMetricsRegistry(bus, lists);
  const med = await compare({
    "Comparer.add, then report()": () => { const c = new Comparer(); for (const e of events) c.add(e); c.report(); },
    "metrics tool handle": () => { for (const e of events) m.handle(e); },
  });
  report("compare: 100,000 net.message events (IPC and eBPF, 100 peers, 6 types)", med, "metrics tool handle", events.length, "events");
  await bus.close(0);
}

fs.mkdirSync(path.join(root, "bench/results"), { recursive: true });
const out = path.join(root, "bench/results/latest.json");
fs.writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, results }, null, 2));
console.log(`\nwritten to ${path.relative(root, out)}`);
