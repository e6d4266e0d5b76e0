// A node's synthetic recording for the NATS and fleet tests: a few minutes of realistic events (peers, messages, pings,
// blocks, connections) with a ping flood that raises an alert, written as NDJSON like `--events`.
import fs from "node:fs";
import { decodeEventLine, encodeEvent, makeEvent, type EventDataMap, type EventType, type PeerwatchEvent } from "../../src/events/index.js";
import { peer } from "./events.js";

const T0 = 1_795_470_000_000_000;
const hash = (n: number) => n.toString(16).padStart(64, "0");

export interface RecordingOptions {
  node: string;
  /** Peers' addresses: peer i is at `${addrBase}.${i}`. */
  addrBase?: string;
  /** Inbound connections come from `${connBase}.<n>`. */
  connBase?: string;
  /** Shift of every timestamp, seconds (a block seen later by this node). */
  offsetSeconds?: number;
  /** Ping RTT of the pinger, ms, per second of the recording. */
  rttMs?: (second: number) => number;
  seconds?: number;
}

export function makeRecording(o: RecordingOptions): PeerwatchEvent[] {
  const out: PeerwatchEvent[] = [];
  const base = o.addrBase ?? "198.51.100";
  const at = (s: number) => Math.round(T0 + (s + (o.offsetSeconds ?? 0)) * 1_000_000);
  const add = <T extends EventType>(source: PeerwatchEvent["source"], type: T, data: EventDataMap[T], s: number) =>
    out.push(makeEvent(source, o.node, type, data, at(s)) as PeerwatchEvent);
  const seconds = o.seconds ?? 120;
  // Inbound peers (even ids) from one range, which the fleet tests share between nodes; outbound
  // peers each in a netgroup of its own, as Core picks them (two in one /16 is an eclipse sign).
  const peers = Array.from({ length: 12 }, (_, i) => peer(i + 1, { addr: (i + 1) % 2 === 0 ? `${base}.${i + 1}:8333` : `${40 + i}.${i + 1}.0.1:8333` }));
  add("ipc", "source.status", { source: "ipc", state: "up", detail: "recording" }, 0);
  for (let s = 0; s < seconds; s++) {
    if (s % 10 === 0) add("rpc", "peers.snapshot", { peers }, s);
    for (const p of peers.slice(0, 6)) {
      add(
        "ebpf",
        "net.message",
        {
          peerId: p.id,
          addr: p.addr,
          connType: p.connectionType ?? "inbound",
          direction: s % 2 ? "in" : "out",
          msgType: ["inv", "tx", "getdata", "headers"][s % 4] as string,
          size: 60 + s,
        },
        s + p.id / 100,
      );
    }
    add("p2p", "ping.rtt", { rttNs: Math.round((o.rttMs?.(s) ?? 1) * 1e6), target: "127.0.0.1:8333" }, s + 0.5);
    if (s % 30 === 5) {
      const h = 100 + s;
      add("ebpf", "block.connected", { hash: hash(h), height: h, txs: 10, inputs: 20, sigops: 30, connectNs: 5_000_000 }, s + 0.7);
      add("ipc", "tip.changed", { height: h, hash: hash(h) }, s + 0.8);
    }
    if (s % 20 === 7)
      add(
        "ebpf",
        "net.connection",
        { kind: "inbound", peerId: 100 + s, addr: `${o.connBase ?? "203.0.113"}.${s % 250}:5000`, connType: "inbound", network: "ipv4", existing: 5 },
        s + 0.3,
      );
    if (s % 20 === 12)
      add(
        "ebpf",
        "net.connection",
        { kind: "closed", peerId: 100 + s - 5, addr: `${o.connBase ?? "203.0.113"}.${(s - 5) % 250}:5000`, connectedAt: 1_795_470_000 },
        s + 0.3,
      );
  }
  // A ping flood from peer 3: more than 20 pings within a minute.
  for (let i = 0; i < 30; i++) {
    add("ebpf", "net.message", { peerId: 3, addr: peers[2]!.addr, connType: "inbound", direction: "in", msgType: "ping", size: 8 }, 60 + i / 10);
  }
  return out.sort((a, b) => a.ts - b.ts);
}

export function writeRecording(file: string, events: PeerwatchEvent[]): void {
  fs.writeFileSync(file, events.map((e) => encodeEvent(e) + "\n").join(""));
}

/** Reads an NDJSON file of events; a bad line fails the test. */
export function readRecording(file: string): PeerwatchEvent[] {
  if (!fs.existsSync(file)) return [];
  const lines = fs.readFileSync(file, "utf8").split("\n");
  lines.pop(); // empty after the last newline, or a line cut short by a killed writer
  return lines
    .filter((l) => l.trim())
    .map((l, i) => {
      const r = decodeEventLine(l, `${file} line ${i + 1}`);
      if (!r.ok) throw new Error(JSON.stringify(r.error));
      return r.value;
    });
}
