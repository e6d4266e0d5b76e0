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

// 4. RPC over HTTP: getpeerinfo (the capture's reply) from a local stub, peerwatch's fetch transport
// vs the `bitcoin-core` npm client it replaced (measured only while that client is installed; the
// figure from the run before its removal is kept in docs/benchmarks.md).
{
  const http = await import("node:http");
  const { HttpRpcTransport } = await dist("rpc/http-transport.js");
  const { parseReply } = await dist("rpc/jsonrpc.js");
  const reply = fs.readFileSync(path.join(root, "test/fixtures/regtest-capture/rpc/getpeerinfo.json"), "utf8");
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const id = JSON.parse(body).id;
      res.writeHead(200, { "content-type": "application/json" }).end(`{"result":${reply},"error":null,"id":${JSON.stringify(id)}}\n`);
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${server.address().port}`;
  const calls = 300;
  const ours = new HttpRpcTransport({ url, credentials: { kind: "userpass", username: "u", password: "p" }, timeoutMs: 5000 });
  const variants = { "undici transport (peerwatch)": async () => { for (let i = 0; i < calls; i++) await ours.call("getpeerinfo", [], 5000); } };
  let old;
  try {
    old = new (await import("bitcoin-core")).default({ host: url, username: "u", password: "p", timeout: 5000, logger: { debug() {}, info() {}, warn() {}, error() {} } });
    old.parser.rpc = (r) => r; // as peerwatch used it: raw body, parsed by our codec
  } catch {
    console.log("\n(bitcoin-core client not installed: RPC comparison runs peerwatch's transport alone)");
  }
  if (old) variants["bitcoin-core client"] = async () => { for (let i = 0; i < calls; i++) parseReply((await old.command("getpeerinfo")).body, "getpeerinfo"); };
  const med = await compare(variants, 9);
  report(`RPC: ${calls} getpeerinfo calls over HTTP to a local stub`, med, "undici transport (peerwatch)", calls, "calls");
  ours.close();
  server.closeAllConnections();
  server.close();
}

// 5. IP lists: peerwatch's prefix tree vs Node's net.BlockList (one per list, as it only answers
// yes/no), 3 lists of 2,000 ranges each (IPv4 and IPv6, like cloud-provider lists), 20,000 lookups.
{
  const net = await import("node:net");
  const { PrefixTree, hostOf } = await dist("tools/iplists/prefix-tree.js");
  let seed = 7;
  const rnd = (n) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
  const v4 = () => `${rnd(223) + 1}.${rnd(256)}.${rnd(256)}.${rnd(256)}`;
  const v6 = () => `2001:db8:${rnd(65536).toString(16)}:${rnd(65536).toString(16)}::${rnd(65536).toString(16)}`;
  const lists = ["cloud-a", "cloud-b", "tor-exits"].map((name) => ({
    name,
    ranges: Array.from({ length: 2000 }, (_, i) => (i % 4 === 3 ? [v6(), 32 + rnd(33)] : [v4(), 8 + rnd(25)])),
  }));
  const tree = new PrefixTree();
  const blocks = lists.map(({ name, ranges }) => {
    const bl = new net.BlockList();
    for (const [ip, len] of ranges) {
      tree.add(`${ip}/${len}`, name);
      bl.addSubnet(ip, len, ip.includes(":") ? "ipv6" : "ipv4");
    }
    return { name, bl };
  });
  const addrs = Array.from({ length: 20_000 }, (_, i) => (i % 4 === 3 ? `[${v6()}]:8333` : `${v4()}:8333`));
  const viaBlockList = (addr) => {
    const host = hostOf(addr);
    const family = net.isIP(host) === 6 ? "ipv6" : "ipv4";
    return blocks.filter((b) => b.bl.check(host, family)).map((b) => b.name);
  };
  let hits = 0;
  for (const a of addrs.slice(0, 2000)) if (tree.match(a).sort().join() !== viaBlockList(a).sort().join()) throw new Error(`prefix tree and BlockList disagree on ${a}`);
  const med = await compare({
    "PrefixTree (peerwatch)": () => { for (const a of addrs) hits += tree.match(a).length; },
    "net.BlockList, one per list": () => { for (const a of addrs) hits += viaBlockList(a).length; },
  }, 5);
  report("IP lists: 20,000 lookups in 3 lists of 2,000 ranges", med, "PrefixTree (peerwatch)", addrs.length, "lookups");
}

fs.mkdirSync(path.join(root, "bench/results"), { recursive: true });
const out = path.join(root, "bench/results/latest.json");
fs.writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, results }, null, 2));
console.log(`\nwritten to ${path.relative(root, out)}`);
