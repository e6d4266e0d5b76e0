// The attack and anomaly heuristics. Each looks at a few event types and returns the alerts it
// raises. Time is the events' own timestamps, so a replay or a test gives the same alerts as the
// live run did. Each costs O(1) amortised per event and holds bounded state (windows.ts), so a
// flood costs per event what normal traffic does. Heuristics ask `due` before formatting an alert,
// so one that holds for every event of a flood does not build a message per event.
import type { PeerInfo, PeerwatchEvent } from "../../events/index.js";
import type { PrefixTree } from "../../iplists/prefix-tree.js";
import { netgroup } from "./netgroup.js";
import { RecentSamples, WindowMax, WindowSum } from "./windows.js";
import type { Thresholds } from "./thresholds.js";

export interface AlertData {
  name: string;
  severity: "info" | "warning" | "critical";
  peerId?: number;
  detail: string;
}

/** Whether an alert (name, peer) may be raised now; false while the same was raised recently. */
export type Due = (name: string, peerId?: number) => boolean;

export interface Heuristic {
  readonly name: string;
  /** Event type prefixes it needs. */
  readonly prefixes: readonly string[];
  onEvent(e: PeerwatchEvent, due: Due): readonly AlertData[];
}

/** No alert: one shared empty answer instead of an array per event. */
const NONE: readonly AlertData[] = Object.freeze([]);
const always: Due = () => true;

const S = 1_000_000; // microseconds per second

/** A peer sending pings far more often than Bitcoin Core does. */
export class PingSpam implements Heuristic {
  readonly name = "ping-spam";
  readonly prefixes = ["net.message"];
  private readonly pings: WindowSum;
  constructor(private readonly t: Thresholds) {
    this.pings = new WindowSum(t.pingSpamWindowSeconds * S);
  }
  onEvent(e: PeerwatchEvent, due: Due = always): readonly AlertData[] {
    if (e.type !== "net.message" || e.data.msgType !== "ping" || e.data.direction !== "in") return NONE;
    const n = this.pings.add(e.data.peerId, e.ts);
    if (n <= this.t.pingSpamCount || !due(this.name, e.data.peerId)) return NONE;
    return [
      {
        name: this.name,
        severity: "warning",
        peerId: e.data.peerId,
        detail: `peer ${e.data.peerId} (${e.data.addr}) sent ${n} pings in ${this.t.pingSpamWindowSeconds} s (threshold ${this.t.pingSpamCount})`,
      },
    ];
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
  private readonly excess: WindowSum;
  constructor(private readonly t: Thresholds) {
    this.excess = new WindowSum(t.addrWindowSeconds * S);
  }
  onEvent(e: PeerwatchEvent, due: Due = always): readonly AlertData[] {
    if (e.type !== "net.message" || e.data.direction !== "in" || (e.data.msgType !== "addr" && e.data.msgType !== "addrv2")) return NONE;
    const entries = e.data.decoded?.entries;
    if (entries === undefined) return NONE;
    const id = e.data.peerId;
    // An outbound peer may answer our getaddr with up to 1000 addresses: start with a full bucket.
    // Core sends getaddr to outbound peers only; an inbound peer's bucket starts at 1 token
    // (Peer::m_addr_token_bucket), so a drip from one shows from the start.
    const b = this.buckets.get(id) ?? { tokens: e.data.connType === "inbound" ? 1 : AddrSpam.CAP, at: e.ts };
    b.tokens = Math.min(AddrSpam.CAP, b.tokens + ((e.ts - b.at) / S) * AddrSpam.RATE);
    b.at = e.ts;
    const over = Math.max(0, entries - Math.floor(b.tokens));
    b.tokens = Math.max(0, b.tokens - entries);
    this.buckets.delete(id);
    this.buckets.set(id, b);
    if (this.buckets.size > 10_000) this.buckets.delete(this.buckets.keys().next().value as number);
    if (over === 0) return NONE;
    const total = this.excess.add(id, e.ts, over);
    if (total <= this.t.addrExcessEntries || !due(this.name, id)) return NONE;
    return [
      {
        name: this.name,
        severity: "warning",
        peerId: id,
        detail: `peer ${id} (${e.data.addr}) sent ${total} addresses beyond Bitcoin Core's rate limit in ${this.t.addrWindowSeconds} s`,
      },
    ];
  }
}

/**
 * Many inbound connections closing, or opening from one netgroup: connection floods, eviction churn.
 * Closes come from connection events (eBPF, log). A source that sees messages but no connection
 * events (IPC tracing) sees each new inbound connection as its `version` (sent once per connection,
 * with the peer's address): more than the same count a minute from one netgroup is the same flood,
 * since a node's inbound slots are few and every connection beyond them closes again.
 */
export class InboundChurn implements Heuristic {
  readonly name = "inbound-churn";
  readonly prefixes = ["net.connection", "net.message"];
  private readonly closed = new WindowSum(60 * S, 60, 1);
  private readonly opened = new WindowSum(60 * S, 60, 1024);
  /** Peer ids whose version was counted (a repeated version is not a new connection); the oldest forgotten first. */
  private readonly counted = new Map<number, true>();
  constructor(private readonly t: Thresholds) {}
  onEvent(e: PeerwatchEvent, due: Due = always): readonly AlertData[] {
    if (e.type === "net.message") {
      const d = e.data;
      if (d.msgType !== "version" || d.direction !== "in" || d.connType !== "inbound" || d.addr === "" || this.counted.has(d.peerId)) return NONE;
      this.counted.set(d.peerId, true);
      if (this.counted.size > 10_000) this.counted.delete(this.counted.keys().next().value as number);
      const group = netgroup(d.addr);
      const n = this.opened.add(group, e.ts);
      if (n <= this.t.inboundChurnPerMinute || !due(this.name)) return NONE;
      return [
        {
          name: this.name,
          severity: "warning",
          detail:
            `${n} new inbound connections from ${group} in the last minute, the latest peer ${d.peerId} (${d.addr}${this.agent(d)}) ` +
            `(their version messages; threshold ${this.t.inboundChurnPerMinute} a minute from one netgroup)`,
        },
      ];
    }
    if (e.type !== "net.connection" || (e.data.kind !== "closed" && e.data.kind !== "evicted") || e.data.connType !== "inbound") return NONE;
    const n = this.closed.add("inbound", e.ts);
    if (n <= this.t.inboundChurnPerMinute || !due(this.name)) return NONE;
    return [{ name: this.name, severity: "warning", detail: `${n} inbound connections closed in the last minute (threshold ${this.t.inboundChurnPerMinute})` }];
  }

  private agent(d: Extract<PeerwatchEvent, { type: "net.message" }>["data"]): string {
    const ua = d.decoded?.version?.userAgent;
    return ua ? `, ${ua.slice(0, 64)}` : "";
  }
}

/**
 * The node is slow to answer the pinger: its message handling is backlogged. The p95 test needs no
 * sorting: with n samples, the nearest-rank p95 (the ⌈0.95·n⌉-th smallest) is above the threshold
 * exactly when more than n − ⌈0.95·n⌉ samples are, so two running counts decide it; the p95 value
 * itself is worked out from the recent samples only when the alert is raised.
 */
export class ProcessingBacklog implements Heuristic {
  readonly name = "processing-backlog";
  readonly prefixes = ["ping.rtt", "threads.snapshot"];
  private readonly all: WindowSum;
  private readonly slow: WindowSum;
  private readonly recent = new RecentSamples(4096);
  private msghand: { cpu: number; ts: number } | undefined;
  private msghandShare: number | undefined;
  constructor(private readonly t: Thresholds) {
    this.all = new WindowSum(t.backlogWindowSeconds * S, 60, 1);
    this.slow = new WindowSum(t.backlogWindowSeconds * S, 60, 1);
  }
  onEvent(e: PeerwatchEvent, due: Due = always): readonly AlertData[] {
    if (e.type === "threads.snapshot") {
      const cpu = e.data.threads.filter((x) => x.name === "b-msghand").reduce((a, x) => a + x.userSeconds + x.systemSeconds, 0);
      if (this.msghand && e.ts > this.msghand.ts && cpu >= this.msghand.cpu) this.msghandShare = (cpu - this.msghand.cpu) / ((e.ts - this.msghand.ts) / S);
      this.msghand = { cpu, ts: e.ts };
      return NONE;
    }
    if (e.type !== "ping.rtt") return NONE;
    const rtt = e.data.rttNs / 1e9;
    this.recent.add(e.ts, rtt);
    const n = this.all.add("rtt", e.ts);
    const slow = this.slow.add("rtt", e.ts, rtt > this.t.backlogP95Seconds ? 1 : 0);
    if (n < this.t.backlogMinSamples || slow <= n - Math.ceil(0.95 * n) || !due(this.name)) return NONE;
    const xs = this.recent.valuesSince(e.ts - this.all.bucketUs * this.all.buckets).sort((a, b) => a - b);
    const p95 = xs[Math.max(0, Math.min(xs.length - 1, Math.ceil(0.95 * xs.length) - 1))] ?? rtt;
    const ctx = this.msghandShare === undefined ? "b-msghand CPU unknown (no proc source)" : `b-msghand at ${(this.msghandShare * 100).toFixed(0)}% of a CPU`;
    const severity = this.msghandShare !== undefined && this.msghandShare > 0.8 ? "critical" : "warning";
    return [{ name: this.name, severity, detail: `ping RTT p95 ${p95.toFixed(3)} s over ${n} pings (threshold ${this.t.backlogP95Seconds} s); ${ctx}` }];
  }
}

/** A peer connecting from an address on one of the IP lists (spy nodes, ban lists, Tor exits). */
export class ListedAddress implements Heuristic {
  readonly name = "listed-address";
  readonly prefixes = ["net.connection", "peers.snapshot"];
  constructor(private readonly tree: PrefixTree) {}
  onEvent(e: PeerwatchEvent): readonly AlertData[] {
    if (e.type === "net.connection" && e.data.kind !== "inbound" && e.data.kind !== "outbound") return NONE;
    const peers: { id: number; addr: string }[] =
      e.type === "peers.snapshot"
        ? e.data.peers.map((p) => ({ id: p.id, addr: p.addr }))
        : e.type === "net.connection" && (e.data.kind === "inbound" || e.data.kind === "outbound") && e.data.addr
          ? [{ id: e.data.peerId, addr: e.data.addr }]
          : [];
    return peers.flatMap((p) =>
      this.tree
        .match(p.addr)
        .map((list) => ({ name: this.name, severity: "warning" as const, peerId: p.id, detail: `peer ${p.id} (${p.addr}) is on the ${list} list` })),
    );
  }
}

/** A tx-relaying peer with a fee filter under the threshold. */
export class LowFeeFilter implements Heuristic {
  readonly name = "low-feefilter";
  readonly prefixes = ["peers.snapshot"];
  constructor(private readonly t: Thresholds) {}
  onEvent(e: PeerwatchEvent): readonly AlertData[] {
    if (e.type !== "peers.snapshot") return NONE;
    return e.data.peers
      .filter((p: PeerInfo) => p.relayTxes && p.minFeeFilterSatVb !== null && p.minFeeFilterSatVb < this.t.lowFeeFilterSatVb)
      .map((p) => ({
        name: this.name,
        severity: "info" as const,
        peerId: p.id,
        detail: `peer ${p.id} (${p.addr}, ${p.subversion.slice(0, 64)}) relays transactions down to ${p.minFeeFilterSatVb} sat/vB`,
      }));
  }
}

/** The share of peers on the v2 transport falls suddenly: a wave of v1-only connections. */
export class V2ShareDrop implements Heuristic {
  readonly name = "v2-share-drop";
  readonly prefixes = ["peers.snapshot"];
  private readonly shares: WindowMax;
  constructor(private readonly t: Thresholds) {
    this.shares = new WindowMax(t.v2ShareWindowSeconds * S);
  }
  onEvent(e: PeerwatchEvent, due: Due = always): readonly AlertData[] {
    if (e.type !== "peers.snapshot") return NONE;
    const known = e.data.peers.filter((p) => p.transport === "v1" || p.transport === "v2");
    if (known.length < this.t.v2ShareMinPeers) return NONE;
    const share = known.filter((p) => p.transport === "v2").length / known.length;
    const max = Math.max(share, this.shares.max(e.ts));
    this.shares.add(e.ts, share);
    if (max - share < this.t.v2ShareDrop || !due(this.name)) return NONE;
    return [
      {
        name: this.name,
        severity: "warning",
        detail:
          `v2 transport share fell to ${(share * 100).toFixed(0)}% from ${(max * 100).toFixed(0)}% in the last ${this.t.v2ShareWindowSeconds / 60} ` +
          `min (${known.length} peers)`,
      },
    ];
  }
}
