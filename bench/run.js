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
const { RecordingPlayer } = await dist("tools/record/player.js");
const { decodeEventLine, encodeEvent } = await dist("events/index.js");

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

// 4. Replay at max speed: a 50,000-event gzip recording through the reader, decoder, player and
// bus into the metrics tool, vs decoding the same lines in memory and calling the metrics handler.
{
  const os = await import("node:os");
  const zlib = await import("node:zlib");
  const types = ["inv", "tx", "ping", "pong", "addrv2", "getdata", "headers"];
  const events = Array.from({ length: 50_000 }, (_, i) => makeEvent("ebpf", "b", "net.message", { peerId: i % 50, addr: `10.0.0.${i % 50}:8333`, connType: "inbound", direction: i % 3 ? "in" : "out", msgType: types[i % types.length], size: 40 + (i % 200) }, 1_795_470_000_000_000 + i * 1000));
  const lines = events.map((e) => encodeEvent(e));
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pw-bench-")), "rec.ndjson.gz");
  fs.writeFileSync(file, zlib.gzipSync(lines.join("\n") + "\n"));
  const lists = loadIpLists();
  const med = await compare({
    "replay --speed max (gunzip, decode, player, bus, metrics)": async () => {
      const bus = new MemoryBus({ nodeName: "b" });
      const m = createMetricsRegistry(bus, lists);
      bus.subscribe({ name: "metrics", maxQueue: 100_000 }, m.handle);
      await new RecordingPlayer(bus, { files: [file], speed: "max", nodeName: "b" }).play();
      await bus.drained();
      await bus.close(0);
    },
    "decode in memory + metrics handler": () => {
      const bus = new MemoryBus({ nodeName: "b" });
      const m = createMetricsRegistry(bus, lists);
      for (const l of lines) m.handle(decodeEventLine(l).value);
      return bus.close(0);
    },
  }, 5);
  report("Replay: 50,000 recorded events at --speed max", med, "decode in memory + metrics handler", events.length, "events");
}

fs.mkdirSync(path.join(root, "bench/results"), { recursive: true });
const out = path.join(root, "bench/results/latest.json");
fs.writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, results }, null, 2));
console.log(`\nwritten to ${path.relative(root, out)}`);
