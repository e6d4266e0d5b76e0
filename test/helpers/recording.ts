// A recording made the way `observe --events` makes one: events from the real regtest capture (its
// bpftrace messages through the eBPF line parser, its getpeerinfo through the RPC normaliser) plus
// pinger RTTs and a ping flood, published on a bus that feeds the real tools (alerts, metrics,
// NDJSON writer). The "live" run's metrics are returned beside the file, to compare a replay with.
import fs from "node:fs";
import { MemoryBus } from "../../src/bus/index.js";
import { parseLine } from "../../src/ebpf/line-parser.js";
import { makeEvent, type GetPeerInfoPeer, type PeerwatchEvent } from "../../src/events/index.js";
import { createLogger } from "../../src/logger.js";
import { toPeerInfo } from "../../src/codecs/jsonrpc/peers.js";
import { startTools } from "../../src/cli/start-tools.js";
import { loadThresholds } from "../../src/tools/alerts/thresholds.js";
import { loadIpLists } from "../../src/iplists/load-lists.js";
import { captureFile, captureJson } from "./capture.js";

export const T0 = 1_795_470_000_000_000;
export const quietLog = createLogger({ level: "silent" });

/** The events of the capture, in time order, `stepMs` apart. */
export function captureEvents(stepMs = 50): PeerwatchEvent[] {
  const hex = (s: string) => [...Buffer.from(s)].map((b) => `\\x${b.toString(16).padStart(2, "0")}`).join("");
  const pad = (s: string, n: number) => hex(s) + "\\x00".repeat(n - Buffer.byteLength(s));
  const out: PeerwatchEvent[] = [];
  let ts = T0;
  const next = () => (ts += stepMs * 1000);
  out.push(makeEvent("ebpf", "regtest", "source.status", { source: "ebpf", state: "up", detail: "tracing bitcoin-node" }, next()));
  out.push(makeEvent("rpc", "regtest", "peers.snapshot", { peers: (captureJson("rpc/getpeerinfo.json") as GetPeerInfoPeer[]).map(toPeerInfo) }, next()));
  const rows = fs
    .readFileSync(captureFile("bpftrace.tsv"), "utf8")
    .split("\n")
    .map((l) => l.split("\t"))
    .filter((f) => f[0] === "msg");
  for (const [i, f] of rows.entries()) {
    const line = ["M", f[1] === "in" ? "i" : "o", f[2], pad(f[3]!, 68), pad(f[4]!, 20), pad(f[5]!, 20), f[6], f[7]].join("\t");
    const r = parseLine(line, 64);
    if (r.kind !== "event") throw new Error(`capture line did not parse: ${line.slice(0, 80)}`);
    out.push(makeEvent("ebpf", "regtest", r.type as "net.message", r.data as never, next()));
    if (i % 20 === 0) out.push(makeEvent("p2p", "regtest", "ping.rtt", { rttNs: 200_000 + i * 1000, target: "127.0.0.1:18444" }, next()));
  }
  // A flood of pings from one peer: enough to raise the ping-spam alert.
  for (let i = 0; i < 30; i++) {
    out.push(
      makeEvent(
        "ebpf",
        "regtest",
        "net.message",
        { peerId: 7, addr: "203.0.113.7:18444", connType: "inbound", direction: "in", msgType: "ping", size: 8 },
        next(),
      ),
    );
  }
  out.push(makeEvent("ebpf", "regtest", "tip.changed", { height: 101, hash: "ab".repeat(32) }, next()));
  return out;
}

/** Publishes events through the real tools with the NDJSON writer on `file`; returns the metrics text. */
export async function recordLive(events: PeerwatchEvent[], file: string, maxBytes?: number): Promise<string> {
  const bus = new MemoryBus({ nodeName: "regtest" });
  const tools = await startTools(
    bus,
    { events: file, eventsMaxBytes: maxBytes, metrics: "off", nodeName: "regtest", web: "off" },
    loadThresholds(undefined),
    loadIpLists(),
    quietLog,
  );
  if (!tools) throw new Error("tools did not start");
  for (const e of events) {
    await bus.whenWritable();
    bus.publish(e);
  }
  await bus.drained();
  const text = await tools.metrics.registry.metrics();
  await bus.close();
  await tools.close();
  return text;
}

/** Non-zero counter samples (`name{labels} value`) of the event-derived families; process/self ones left out. */
export function eventCounters(metricsText: string, ignoreSource = "replay"): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of metricsText.split("\n")) {
    if (line.startsWith("#") || !line.trim()) continue;
    const m = /^(\w+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m) continue;
    const [, name, labels = "", value] = m;
    // Process figures under today's names and under the peerwatch_ prefix they had when
    // data/regtest-demo.metrics.txt was scraped.
    if (!name!.endsWith("_total") || /^(peerwatch_)?(process|nodejs)_/.test(name!) || /^peerwatch_(web_|bus_)/.test(name!)) continue;
    if (labels.includes(`source="${ignoreSource}"`)) continue;
    // A series at 0 is one the exporter pre-registers (newer versions list more reasons): the same as absent.
    if (Number(value) === 0) continue;
    out.set(`${name}${labels}`, Number(value));
  }
  return out;
}
