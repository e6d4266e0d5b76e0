// Eclipse indicators, from the node's peer list (getpeerinfo over RPC or IPC) and its connections:
// - `inbound-concentration`: at least `netgroupInboundPeers` inbound peers, and
//   `netgroupInboundShare` of all inbound, come from one netgroup (IPv4 /16, IPv6 /32, or one AS
//   with -asmap). Bitcoin Core's eviction protects peers by netgroup diversity, but an attacker
//   can fill free slots from one range; honest inbound peers come from all over the internet.
// - `outbound-netgroup`: two automatic outbound peers (full-relay, block-relay-only) in one
//   netgroup. Core never picks them so (ThreadOpenConnections skips netgroups it already has),
//   so this means the netgroup view is being fooled or the peers are not Core's own choice.
// - `outbound-churn`: `outboundChurn` automatic outbound connections opened within
//   `outboundChurnWindowSeconds`: Core keeps its 8 full-relay and 2 block-relay-only peers for
//   hours and rotates one extra peer every few minutes (EXTRA_PEER_CHECK_INTERVAL 45 s); a set
//   that turns over quickly is what an attacker who forces disconnects would cause.
import type { PeerInfo, PeerwatchEvent } from "../../events/index.js";
import type { AlertData, Due, Heuristic } from "./heuristics.js";
import { netgroup } from "./netgroup.js";
import type { PeerBook } from "./peer-book.js";
import type { Thresholds } from "./thresholds.js";
import { WindowSum } from "./windows.js";

const S = 1_000_000;
const NONE: readonly AlertData[] = Object.freeze([]);
const AUTOMATIC = new Set(["outbound-full-relay", "block-relay-only"]);
/** A set of outbound peers worth watching for turnover (Core keeps 10). */
const MIN_OUTBOUND_SET = 4;

export class Eclipse implements Heuristic {
  readonly name = "inbound-concentration";
  readonly prefixes = ["peers.snapshot", "net.connection"];
  private readonly opened: WindowSum;
  /** Automatic outbound peers seen (the last snapshot's, and connections since), so a snapshot counts only the new ones. */
  private outbound = new Set<number>();
  private lastOutboundTs = 0;

  /** The highest peer id seen: Core numbers connections upwards, so a lower new one means the node restarted. */
  private maxId = -1;
  /** Inbound peers now (id → netgroup) and how many per netgroup. */
  private readonly inbound = new Map<number, string>();
  private readonly inboundGroups = new Map<string, number>();

  constructor(
    private readonly t: Thresholds,
    private readonly book: PeerBook,
  ) {
    this.opened = new WindowSum(t.outboundChurnWindowSeconds * S, 60, 1);
  }

  onEvent(e: PeerwatchEvent, due: Due): readonly AlertData[] {
    if (e.type === "net.connection") {
      const d = e.data;
      // At connect time (eBPF, IPC): the log reports connections after the handshake, out of id order.
      if (d.version === undefined && (d.kind === "inbound" || d.kind === "outbound") && this.restarted(d.peerId)) return NONE;
      if (d.kind === "inbound" && d.addr) return this.inboundOpened(d.peerId, d.addr, due);
      if (d.kind === "closed" || d.kind === "evicted") this.inboundClosed(d.peerId);
      // Outbound connection events are attempts too (a node with a polluted addrman opens and drops
      // many a minute): only established peers, from getpeerinfo, count as a change of the set.
      return NONE;
    }
    if (e.type !== "peers.snapshot") return NONE;
    let out: AlertData[] | undefined;
    const inbound: PeerInfo[] = [];
    const auto: PeerInfo[] = [];
    for (const p of e.data.peers) {
      if (p.inbound) inbound.push(p);
      else if (p.connectionType !== null && AUTOMATIC.has(p.connectionType)) auto.push(p);
    }
    // The inbound set as the node lists it; connection events keep it current until the next snapshot.
    this.inbound.clear();
    this.inboundGroups.clear();
    for (const p of inbound) this.countInbound(p.id, netgroup(p.addr, p.mappedAs));
    // Inbound concentration: the largest netgroup.
    if (inbound.length >= this.t.netgroupInboundPeers) {
      const [group, members] = largest(inbound);
      if (members.length >= this.t.netgroupInboundPeers && members.length >= inbound.length * this.t.netgroupInboundShare && due("inbound-concentration")) {
        (out ??= []).push({
          name: "inbound-concentration",
          severity: "warning",
          detail:
            `${members.length} of ${inbound.length} inbound peers come from ${group} (threshold ${this.t.netgroupInboundPeers} peers and ` +
            `${(this.t.netgroupInboundShare * 100).toFixed(0)}%): ${sample(members)}`,
        });
      }
    }
    // Automatic outbound peers sharing a netgroup.
    const groups = new Map<string, PeerInfo[]>();
    for (const p of auto) {
      const g = netgroup(p.addr, p.mappedAs);
      if (g === "") continue;
      const list = groups.get(g) ?? [];
      list.push(p);
      groups.set(g, list);
    }
    for (const [g, list] of groups) {
      if (list.length < 2 || !due("outbound-netgroup")) continue;
      (out ??= []).push({
        name: "outbound-netgroup",
        severity: "warning",
        detail: `${list.length} automatic outbound peers share netgroup ${g}, which Core's own choice never does: ${sample(list)}`,
      });
    }
    // New automatic outbound peers since the last snapshot (when no connection events told us).
    // A restarted node: every peer connected since the last snapshot (its new outbound set is no churn).
    const sinceS = this.lastOutboundTs / S;
    const restart = e.data.peers.length > 0 && e.data.peers.every((p) => p.connTime > sinceS);
    if (restart) this.outbound = new Set();
    const before = this.outbound.size;
    const now = new Set(auto.map((p) => p.id));
    let fresh = 0;
    for (const id of now) if (!this.outbound.has(id)) fresh++;
    const first = this.lastOutboundTs === 0;
    this.outbound = now;
    this.lastOutboundTs = e.ts;
    if (fresh > 0 && !first && !restart && before >= MIN_OUTBOUND_SET) {
      const a = this.churn(this.opened.add("out", e.ts, fresh), e.ts, due);
      if (a.length) (out ??= []).push(...a);
    }
    return out ?? NONE;
  }

  private inboundOpened(id: number, addr: string, due: Due): readonly AlertData[] {
    const g = netgroup(addr);
    if (g === "") return NONE;
    this.inboundClosed(id);
    const n = this.countInbound(id, g);
    const all = this.inbound.size;
    if (all < this.t.netgroupInboundPeers || n < this.t.netgroupInboundPeers || n < all * this.t.netgroupInboundShare || !due("inbound-concentration"))
      return NONE;
    return [
      {
        name: "inbound-concentration",
        severity: "warning",
        detail:
          `${n} of ${all} inbound connections come from ${g} (threshold ${this.t.netgroupInboundPeers} peers and ` +
          `${(this.t.netgroupInboundShare * 100).toFixed(0)}%); the latest ${this.book.describe(id, addr)}`,
      },
    ];
  }

  private countInbound(id: number, g: string): number {
    if (this.inbound.size >= 10_000) return 0; // bounded: Core's own limit on connections is far below
    this.inbound.set(id, g);
    const n = (this.inboundGroups.get(g) ?? 0) + 1;
    this.inboundGroups.set(g, n);
    return n;
  }

  private inboundClosed(id: number): void {
    const g = this.inbound.get(id);
    if (g === undefined) return;
    this.inbound.delete(id);
    const n = (this.inboundGroups.get(g) ?? 1) - 1;
    if (n > 0) this.inboundGroups.set(g, n);
    else this.inboundGroups.delete(g);
  }

  /** A new connection with an id below one seen before: Core numbers connections upwards, so the node restarted. */
  private restarted(id: number): boolean {
    const before = this.maxId;
    this.maxId = id;
    if (id >= before) return false;
    this.outbound = new Set();
    return true;
  }

  private churn(n: number, _ts: number, due: Due): readonly AlertData[] {
    if (n < this.t.outboundChurn || !due("outbound-churn")) return NONE;
    return [
      {
        name: "outbound-churn",
        severity: "warning",
        detail:
          `${n} automatic outbound connections opened in ${this.t.outboundChurnWindowSeconds / 60} min (threshold ${this.t.outboundChurn}; Core keeps ` +
          `its 10 for hours, rotating one extra every few minutes)`,
      },
    ];
  }
}

function largest(peers: PeerInfo[]): [string, PeerInfo[]] {
  const by = new Map<string, PeerInfo[]>();
  let best: [string, PeerInfo[]] = ["", []];
  for (const p of peers) {
    const g = netgroup(p.addr, p.mappedAs);
    if (g === "") continue;
    const list = by.get(g) ?? [];
    list.push(p);
    by.set(g, list);
    if (list.length > best[1].length) best = [g, list];
  }
  return best;
}

function sample(peers: PeerInfo[]): string {
  const shown = peers.slice(0, 5).map((p) => `peer ${p.id} ${p.addr} ${JSON.stringify(p.subversion.slice(0, 32))}`);
  return shown.join(", ") + (peers.length > 5 ? ` and ${peers.length - 5} more` : "");
}
