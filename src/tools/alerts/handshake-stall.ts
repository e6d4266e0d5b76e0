// Inbound connections that never finish the version handshake, and inbound slots running out.
//
// `handshake-stall`: an honest peer sends `version` as the first thing on a connection it opens,
// within a round trip. Bitcoin Core keeps a connection without one for up to 60 s
// (DEFAULT_PEER_CONNECT_TIMEOUT) before it drops it, so connections that stay silent hold inbound
// slots for free. A connection counts as stalled when it has gone `handshakeGraceSeconds` without a
// version, or closed without one, or the node dropped it for a handshake timeout or for sending
// nothing (the log's "version handshake timeout", "socket no message in first 60 seconds");
// `handshakeStalls` of them in `handshakeWindowSeconds` raise the alert, with the netgroups they
// came from. `inbound-slots`: the node refused an inbound connection because it is full (the
// log's "failed to find an eviction candidate"), or inbound connections use `inboundSlotsShare`
// of the inbound slots (-maxconnections less Core's 11 automatic outbound: 8 full-relay, 2
// block-relay-only, 1 feeler). `protocol-garbage` (inferred, for sources that cannot see the bytes):
// `handshakeStalls` inbound connections closed within the grace time without a version.
import type { PeerwatchEvent } from "../../events/index.js";
import type { AlertData, Due, Heuristic } from "./heuristics.js";
import type { PeerBook } from "./peer-book.js";
import type { Thresholds } from "./thresholds.js";
import { WindowSum } from "./windows.js";

const S = 1_000_000;
const NONE: readonly AlertData[] = Object.freeze([]);
const MAX_PENDING = 10_000;
/** How long after a close a connection's late messages may still come (IPC tracing batches them). */
const LATE_MESSAGE_US = 2 * S;
/** Core's automatic outbound connections: MAX_OUTBOUND_FULL_RELAY_CONNECTIONS 8, MAX_BLOCK_RELAY_ONLY_CONNECTIONS 2, MAX_FEELER_CONNECTIONS 1. */
export const AUTOMATIC_OUTBOUND = 11;

export class HandshakeStall implements Heuristic {
  readonly name = "handshake-stall";
  readonly prefixes = [
    "net.connection",
    "net.message",
    "peer.disconnecting",
    "net.inbound_refused",
    "peers.snapshot",
    "ping.rtt",
    "threads.snapshot",
    "rpc.snapshot",
  ];
  /** Inbound connections without a version yet, oldest first: peer id → (opened at, netgroup). */
  private readonly pending = new Map<number, { at: number; group: string; closedAt?: number; addr?: string }>();
  private readonly stalls: WindowSum;
  /** Connections closed before the grace time without a version. */
  private readonly abandoned: WindowSum;
  private readonly byGroup: WindowSum;
  /** Netgroups of the recent stalls, for the detail (bounded ring). */
  private readonly recentGroups: string[] = [];
  private readonly counted = new Set<number>();
  /** Peers that sent a message (the most recent MAX_PENDING). */
  private readonly spoke = new Set<number>();

  constructor(
    private readonly t: Thresholds,
    private readonly book: PeerBook,
  ) {
    this.stalls = new WindowSum(t.handshakeWindowSeconds * S, 60, 1);
    this.abandoned = new WindowSum(t.handshakeWindowSeconds * S, 60, 1);
    this.byGroup = new WindowSum(t.handshakeWindowSeconds * S, 60, 1024);
  }

  onEvent(e: PeerwatchEvent, due: Due): readonly AlertData[] {
    let stalled = 0;
    switch (e.type) {
      case "net.connection": {
        const d = e.data;
        if (d.kind === "inbound" && d.version === undefined && !this.spoke.has(d.peerId)) {
          // At accept time (eBPF): the handshake starts now (unless IPC tracing already delivered its
          // messages: the two sources race). The log's inbound line comes after it (with a version).
          if (this.pending.size >= MAX_PENDING) this.pending.delete(this.pending.keys().next().value as number);
          this.pending.delete(d.peerId);
          this.pending.set(d.peerId, { at: e.ts, group: this.book.group(d.peerId, d.addr ?? "") });
          this.counted.delete(d.peerId);
        } else if (d.kind === "inbound") {
          this.pending.delete(d.peerId);
        } else if ((d.kind === "closed" || d.kind === "evicted") && !this.pending.has(d.peerId)) {
          this.spoke.delete(d.peerId); // its id may come back after a node restart
        } else if ((d.kind === "closed" || d.kind === "evicted") && this.pending.has(d.peerId)) {
          // Closed before the grace time without a version: the node refused its bytes (garbage, a
          // wrong magic: they never reach the message tracepoints) or a scanner left.
          // Judged LATE_MESSAGE_US later: IPC tracing delivers messages in batches, so the version
          // of a short connection can arrive after eBPF's close.
          const p = this.pending.get(d.peerId)!;
          if (e.ts - p.at >= this.t.handshakeGraceSeconds * S) stalled += this.stall(d.peerId, e.ts);
          else {
            p.closedAt = e.ts;
            if (d.addr) p.addr = d.addr;
          }
        }
        break;
      }
      case "net.message":
        if (e.data.direction === "in" && !this.spoke.has(e.data.peerId)) {
          // Any message: it spoke. Remembered (bounded) for a connection event that comes later.
          if (this.spoke.size >= MAX_PENDING) this.spoke.delete(this.spoke.values().next().value as number);
          this.spoke.add(e.data.peerId);
          this.pending.delete(e.data.peerId);
        }
        break;
      case "peer.disconnecting":
        if (e.data.cause === "handshake_timeout" || e.data.cause === "inactivity") {
          if (!this.pending.has(e.data.peerId)) this.pending.set(e.data.peerId, { at: e.ts, group: this.book.group(e.data.peerId, e.data.addr ?? "") });
          stalled += this.stall(e.data.peerId, e.ts);
        }
        break;
      case "net.inbound_refused":
        if (e.data.reason === "full" && due("inbound-slots")) {
          return [
            {
              name: "inbound-slots",
              severity: "warning",
              detail:
                `the node refused an inbound connection${e.data.addr ? ` from ${e.data.addr}` : ""}: every inbound slot is taken and no peer could be ` +
                `evicted`,
            },
          ];
        }
        break;
      case "peers.snapshot": {
        // Pending connections the node no longer lists closed unseen (a restart): not stalls.
        if (this.pending.size > 0) {
          const listed = new Set(e.data.peers.map((p) => p.id));
          for (const [id, p] of this.pending) if (!listed.has(id) && e.ts - p.at > 2 * S) this.pending.delete(id);
        }
        // getpeerinfo lists a connection before its version (version 0): the view of RPC and IPC, which see no connection events.
        const grace = this.t.handshakeGraceSeconds;
        const mute = e.data.peers.filter((p) => p.inbound && p.version === 0 && e.ts / S - p.connTime >= grace);
        if (mute.length >= this.t.handshakeStalls && due(this.name)) {
          const groups = new Map<string, number>();
          for (const p of mute) {
            const g = this.book.group(p.id, p.addr) || "unknown addresses";
            groups.set(g, (groups.get(g) ?? 0) + 1);
          }
          const top = [...groups]
            .sort((x, y) => y[1] - x[1])
            .slice(0, 3)
            .map(([g, c]) => `${c} from ${g}`);
          return [
            {
              name: this.name,
              severity: "warning",
              detail:
                `${mute.length} inbound peers have sent no version after ${grace} s or more (getpeerinfo version 0; threshold ` +
                `${this.t.handshakeStalls}; honest peers send it at once, Core waits 60 s): ${top.join(", ")}`,
            },
          ];
        }
        const inbound = e.data.peers.filter((p) => p.inbound).length;
        const slots = Math.max(1, this.t.maxConnections - AUTOMATIC_OUTBOUND);
        if (inbound >= slots * this.t.inboundSlotsShare && due("inbound-slots")) {
          return [
            {
              name: "inbound-slots",
              severity: "warning",
              detail:
                `${inbound} inbound peers hold ${((inbound / slots) * 100).toFixed(0)}% of the ${slots} inbound slots (maxConnections ` +
                `${this.t.maxConnections} − ${AUTOMATIC_OUTBOUND} outbound; threshold ${(this.t.inboundSlotsShare * 100).toFixed(0)}%)`,
            },
          ];
        }
        break;
      }
    }
    // Connections silent past the grace time, oldest first: each is looked at once. Closed ones
    // (a few seconds' worth at most) are passed over until their late messages had time to come.
    const grace = this.t.handshakeGraceSeconds * S;
    let abandoned = 0;
    let latest: [number, string] | undefined;
    for (const [id, p] of this.pending) {
      if (p.closedAt !== undefined) {
        if (e.ts - p.closedAt < LATE_MESSAGE_US) continue;
        this.pending.delete(id);
        abandoned = this.abandoned.add("all", e.ts);
        latest = [id, p.addr ?? ""];
        continue;
      }
      if (e.ts - p.at < grace) break;
      stalled += this.stall(id, e.ts);
    }
    if (latest !== undefined && abandoned >= this.t.handshakeStalls && due("protocol-garbage")) {
      return [
        {
          name: "protocol-garbage",
          severity: "warning",
          detail:
            `${abandoned} inbound connections in ${this.t.handshakeWindowSeconds} s closed within ${this.t.handshakeGraceSeconds} s without ever ` +
            `sending a version (threshold ${this.t.handshakeStalls}): bytes the node refused (garbage, a wrong network magic, a broken v2 handshake) or ` +
            `scanners; the latest ${this.book.describe(latest[0], latest[1])}`,
        },
      ];
    }
    if (stalled === 0) return NONE;
    const n = this.stalls.sum("all", e.ts);
    if (n < this.t.handshakeStalls || !due(this.name)) return NONE;
    const groups = new Map<string, number>();
    for (const g of this.recentGroups) groups.set(g, this.byGroup.sum(g, e.ts));
    const top = [...groups]
      .filter(([, c]) => c > 0)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([g, c]) => `${c} from ${g || "unknown addresses"}`);
    return [
      {
        name: this.name,
        severity: "warning",
        detail:
          `${n} inbound connections in ${this.t.handshakeWindowSeconds} s sent no version within ${this.t.handshakeGraceSeconds} s or closed without ` +
          `one (threshold ${this.t.handshakeStalls}; honest peers send it at once, Core waits 60 s): ${top.join(", ")}; ${this.pending.size} still waiting`,
      },
    ];
  }

  private stall(id: number, ts: number): number {
    const p = this.pending.get(id);
    this.pending.delete(id);
    if (this.counted.has(id)) return 0;
    if (this.counted.size >= MAX_PENDING) this.counted.delete(this.counted.values().next().value as number);
    this.counted.add(id);
    const group = p?.group ?? "";
    this.stalls.add("all", ts);
    this.byGroup.add(group, ts);
    if (!this.recentGroups.includes(group)) {
      this.recentGroups.push(group);
      if (this.recentGroups.length > 16) this.recentGroups.shift();
    }
    return 1;
  }
}
