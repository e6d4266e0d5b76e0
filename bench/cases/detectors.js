// The alert engine with and without the detectors of issue 20, side by side, and the baselines'
// watch: the shipped demo recording's events (a real node, every source) repeated over many peers,
// an inv flood from one peer against the same invs from 1000 peers, and a ping flood. The detectors must cost per event under a flood what
// they cost for normal traffic (bounded state, O(1) amortised).
import fs from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { compare, dist, report, root } from "../lib.js";

const { AlertEngine, defaultHeuristics } = await dist("tools/alerts/alert-engine.js");
const { detectorHeuristics } = await dist("tools/alerts/detectors.js");
const { DEFAULT_THRESHOLDS: T } = await dist("tools/alerts/thresholds.js");
const { loadIpLists } = await dist("iplists/load-lists.js");
const { BaselineWatch } = await dist("tools/baselines/baseline-watch.js");
const lists = loadIpLists();

function demo() {
  const lines = gunzipSync(fs.readFileSync(path.join(root, "data/regtest-demo.ndjson.gz")))
    .toString("utf8")
    .split("\n")
    .filter(Boolean);
  return lines.map((l) => JSON.parse(l)).filter((e) => e.type !== "alert");
}

/** `n` events: the demo played again and again, each copy later in time and with its peers renumbered. */
function repeated(base, n) {
  const out = [];
  const span = base[base.length - 1].ts - base[0].ts + 1_000_000;
  for (let k = 0; out.length < n; k++) {
    for (const e of base) {
      if (out.length >= n) break;
      const d = e.data && typeof e.data.peerId === "number" ? { ...e.data, peerId: e.data.peerId + k * 10 } : e.data;
      out.push({ ...e, ts: e.ts + k * span, data: d });
    }
  }
  return out;
}

function invs(n, peers) {
  const t0 = 1_800_000_000_000_000;
  return Array.from({ length: n }, (_, i) => ({
    v: 1,
    ts: t0 + i * 100,
    node: "bench",
    source: "ebpf",
    type: "net.message",
    data: {
      peerId: i % peers,
      addr: `10.${(i % peers) >> 8}.${(i % peers) & 255}.1:8333`,
      connType: "inbound",
      direction: "in",
      msgType: "inv",
      size: 1801,
      decoded: { entries: 50, invTypes: { wtx: 50 } },
    },
  }));
}

/** A ping flood as a node traces it: pings in from one peer, pongs out to it, alternating. */
function pings(n) {
  const t0 = 1_800_000_000_000_000;
  return Array.from({ length: n }, (_, i) => ({
    v: 1,
    ts: t0 + i * 10,
    node: "bench",
    source: "ipc",
    type: "net.message",
    data: {
      peerId: 7,
      addr: "127.0.0.1:50000",
      connType: "inbound",
      direction: i % 2 === 0 ? "in" : "out",
      msgType: i % 2 === 0 ? "ping" : "pong",
      size: 8,
      payloadHex: "1122334455667788",
      truncated: false,
      decoded: { nonce: "8877665544332211" },
    },
  }));
}

export async function run({ events = Number(process.env.BENCH_DETECTOR_EVENTS ?? 200_000), rounds = Number(process.env.BENCH_ROUNDS ?? 5) } = {}) {
  const traffic = repeated(demo(), events);
  const flood = invs(events, 1);
  const pingFlood = pings(events);
  const watch = (evs) => () => {
    const w = new BaselineWatch();
    let n = 0;
    for (const e of evs) n += w.onEvent(e).length;
    return n;
  };
  const spread = invs(events, 1000);
  const without = () => defaultHeuristics(T, lists.tree).filter((h) => !detectorHeuristics(T).some((d) => d.constructor === h.constructor));
  const feed = (make, evs) => () => {
    const engine = new AlertEngine(make(), T);
    let n = 0;
    for (const e of evs) n += engine.onEvent(e).length;
    return n;
  };
  const med = await compare(
    {
      "demo traffic, heuristics before issue 20": feed(without, traffic),
      "demo traffic, with the detectors": feed(() => defaultHeuristics(T, lists.tree), traffic),
      "inv from 1000 peers, with the detectors": feed(() => defaultHeuristics(T, lists.tree), spread),
      "inv flood from one peer, with the detectors": feed(() => defaultHeuristics(T, lists.tree), flood),
      "baselines: demo traffic": watch(traffic),
      "baselines: a ping flood from one peer (ping in, pong out)": watch(pingFlood),
    },
    rounds,
  );
  report(
    `Detectors: ${events.toLocaleString("en")} events per variant, median of ${rounds}`,
    med,
    "demo traffic, heuristics before issue 20",
    events,
    "events",
  );
}
