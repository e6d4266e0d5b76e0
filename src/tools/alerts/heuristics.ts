// The attack and anomaly heuristics. Each looks at a few event types and returns the alerts it
// raises. Time is the events' own timestamps, so a replay or a test gives the same alerts as the
// live run did. Memory is bounded per heuristic (sliding windows with capped keys).
import type { PeerInfo, PeerwatchEvent } from "../../events/index.js";
import type { PrefixTree } from "../iplists/prefix-tree.js";
import { SlidingWindow } from "./sliding-window.js";
import type { Thresholds } from "./thresholds.js";

export interface AlertData {
  name: string;
  severity: "info" | "warning" | "critical";
  peerId?: number;
  detail: string;
}

export interface Heuristic {
  readonly name: string;
  /** Event type prefixes it needs. */
  readonly prefixes: readonly string[];
  onEvent(e: PeerwatchEvent): AlertData[];
}

const S = 1_000_000; // microseconds per second

/** A peer sending pings far more often than Bitcoin Core does. */
export class PingSpam implements Heuristic {
  readonly name = "ping-spam";
  readonly prefixes = ["net.message"];
  private readonly pings: SlidingWindow;
  constructor(private readonly t: Thresholds) {
    this.pings = new SlidingWindow(t.pingSpamWindowSeconds * S);
  }
  onEvent(e: PeerwatchEvent): AlertData[] {
    if (e.type !== "net.message" || e.data.msgType !== "ping" || e.data.direction !== "in") return [];
    this.pings.add(e.data.peerId, e.ts, 1);
    const n = this.pings.count(e.data.peerId, e.ts);
    if (n <= this.t.pingSpamCount) return [];
    return [{ name: this.name, severity: "warning", peerId: e.data.peerId, detail: `peer ${e.data.peerId} (${e.data.addr}) sent ${n} pings in ${this.t.pingSpamWindowSeconds} s (threshold ${this.t.pingSpamCount})` }];
  }
}

/** A peer sending more addresses than Bitcoin Core's own rate limit lets through. */
export class AddrSpam implements Heuristic {
  readonly name = "addr-spam";
  readonly prefixes = ["net.message"];
  // Bitcoin Core's token bucket per peer (net_processing.cpp): 0.1 address/s, capped at 1000.
  private static readonly RATE = 0.1;
  private static readonly CAP = 1000;
  private readonly buckets = new Map<number, { tokens: number; at: number }>();
  private readonly excess: SlidingWindow;
  constructor(private readonly t: Thresholds) {
    this.excess = new SlidingWindow(t.addrWindowSeconds * S);
  }
  onEvent(e: PeerwatchEvent): AlertData[] {
    if (e.type !== "net.message" || e.data.direction !== "in" || (e.data.msgType !== "addr" && e.data.msgType !== "addrv2")) return [];
    const entries = e.data.decoded?.entries;
    if (entries === undefined) return [];
    const id = e.data.peerId;
    // A new peer may answer our getaddr with up to 1000 addresses: start with a full bucket.
    const b = this.buckets.get(id) ?? { tokens: AddrSpam.CAP, at: e.ts };
    b.tokens = Math.min(AddrSpam.CAP, b.tokens + ((e.ts - b.at) / S) * AddrSpam.RATE);
    b.at = e.ts;
    const over = Math.max(0, entries - Math.floor(b.tokens));
    b.tokens = Math.max(0, b.tokens - entries);
    this.buckets.delete(id);
    this.buckets.set(id, b);
    if (this.buckets.size > 10_000) this.buckets.delete(this.buckets.keys().next().value as number);
    if (over === 0) return [];
    this.excess.add(id, e.ts, over);
    const total = this.excess.values(id, e.ts).reduce((a, x) => a + x, 0);
    if (total <= this.t.addrExcessEntries) return [];
    return [{ name: this.name, severity: "warning", peerId: id, detail: `peer ${id} (${e.data.addr}) sent ${total} addresses beyond Bitcoin Core's rate limit in ${this.t.addrWindowSeconds} s` }];
  }
}

/** Many inbound connections closing: connection floods, eviction churn. */
export class InboundChurn implements Heuristic {
  readonly name = "inbound-churn";
  readonly prefixes = ["net.connection"];
  private readonly closed = new SlidingWindow(60 * S, 1, 1_000_000);
  constructor(private readonly t: Thresholds) {}
  onEvent(e: PeerwatchEvent): AlertData[] {
    if (e.type !== "net.connection" || (e.data.kind !== "closed" && e.data.kind !== "evicted") || e.data.connType !== "inbound") return [];
    this.closed.add("inbound", e.ts, 1);
    const n = this.closed.count("inbound", e.ts);
    if (n <= this.t.inboundChurnPerMinute) return [];
    return [{ name: this.name, severity: "warning", detail: `${n} inbound connections closed in the last minute (threshold ${this.t.inboundChurnPerMinute})` }];
  }
}

/** The node is slow to answer the pinger: its message handling is backlogged. */
export class ProcessingBacklog implements Heuristic {
  readonly name = "processing-backlog";
  readonly prefixes = ["ping.rtt", "threads.snapshot"];
  private readonly rtts: SlidingWindow;
  private msghand: { cpu: number; ts: number } | undefined;
  private msghandShare: number | undefined;
  constructor(private readonly t: Thresholds) {
    this.rtts = new SlidingWindow(t.backlogWindowSeconds * S, 1, 100_000);
  }
  onEvent(e: PeerwatchEvent): AlertData[] {
    if (e.type === "threads.snapshot") {
      const cpu = e.data.threads.filter((x) => x.name === "b-msghand").reduce((a, x) => a + x.userSeconds + x.systemSeconds, 0);
      if (this.msghand && e.ts > this.msghand.ts && cpu >= this.msghand.cpu) this.msghandShare = (cpu - this.msghand.cpu) / ((e.ts - this.msghand.ts) / S);
      this.msghand = { cpu, ts: e.ts };
      return [];
    }
    if (e.type !== "ping.rtt") return [];
    this.rtts.add("rtt", e.ts, e.data.rttNs / 1e9);
    const xs = this.rtts.values("rtt", e.ts).sort((a, b) => a - b);
    if (xs.length < this.t.backlogMinSamples) return [];
    const p95 = xs[Math.min(xs.length - 1, Math.ceil(0.95 * xs.length) - 1)] as number;
    if (p95 <= this.t.backlogP95Seconds) return [];
    const ctx = this.msghandShare === undefined ? "b-msghand CPU unknown (no proc source)" : `b-msghand at ${(this.msghandShare * 100).toFixed(0)}% of a CPU`;
    const severity = this.msghandShare !== undefined && this.msghandShare > 0.8 ? "critical" : "warning";
    return [{ name: this.name, severity, detail: `ping RTT p95 ${p95.toFixed(3)} s over ${xs.length} pings (threshold ${this.t.backlogP95Seconds} s); ${ctx}` }];
  }
}

/** A peer connecting from an address on one of the IP lists (spy nodes, ban lists, Tor exits). */
export class ListedAddress implements Heuristic {
  readonly name = "listed-address";
  readonly prefixes = ["net.connection", "peers.snapshot"];
  constructor(private readonly tree: PrefixTree) {}
  onEvent(e: PeerwatchEvent): AlertData[] {
    const peers: { id: number; addr: string }[] =
      e.type === "peers.snapshot"
        ? e.data.peers.map((p) => ({ id: p.id, addr: p.addr }))
        : e.type === "net.connection" && (e.data.kind === "inbound" || e.data.kind === "outbound") && e.data.addr
          ? [{ id: e.data.peerId, addr: e.data.addr }]
          : [];
    return peers.flatMap((p) =>
      this.tree.match(p.addr).map((list) => ({ name: this.name, severity: "warning" as const, peerId: p.id, detail: `peer ${p.id} (${p.addr}) is on the ${list} list` })),
    );
  }
}

/** A tx-relaying peer with a fee filter under the threshold. */
export class LowFeeFilter implements Heuristic {
  readonly name = "low-feefilter";
  readonly prefixes = ["peers.snapshot"];
  constructor(private readonly t: Thresholds) {}
  onEvent(e: PeerwatchEvent): AlertData[] {
    if (e.type !== "peers.snapshot") return [];
    return e.data.peers
      .filter((p: PeerInfo) => p.relayTxes && p.minFeeFilterSatVb !== null && p.minFeeFilterSatVb < this.t.lowFeeFilterSatVb)
      .map((p) => ({ name: this.name, severity: "info" as const, peerId: p.id, detail: `peer ${p.id} (${p.addr}, ${p.subversion.slice(0, 64)}) relays transactions down to ${p.minFeeFilterSatVb} sat/vB` }));
  }
}

/** The share of peers on the v2 transport falls suddenly: a wave of v1-only connections. */
export class V2ShareDrop implements Heuristic {
  readonly name = "v2-share-drop";
  readonly prefixes = ["peers.snapshot"];
  private readonly shares: SlidingWindow;
  constructor(private readonly t: Thresholds) {
    this.shares = new SlidingWindow(t.v2ShareWindowSeconds * S, 1, 100_000);
  }
  onEvent(e: PeerwatchEvent): AlertData[] {
    if (e.type !== "peers.snapshot") return [];
    const known = e.data.peers.filter((p) => p.transport === "v1" || p.transport === "v2");
    if (known.length < this.t.v2ShareMinPeers) return [];
    const share = known.filter((p) => p.transport === "v2").length / known.length;
    const max = Math.max(share, ...this.shares.values("v2", e.ts));
    this.shares.add("v2", e.ts, share);
    if (max - share < this.t.v2ShareDrop) return [];
    return [{ name: this.name, severity: "warning", detail: `v2 transport share fell to ${(share * 100).toFixed(0)}% from ${(max * 100).toFixed(0)}% in the last ${this.t.v2ShareWindowSeconds / 60} min (${known.length} peers)` }];
  }
}
