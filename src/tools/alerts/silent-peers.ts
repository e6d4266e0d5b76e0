// Peers that finished the handshake and then answer nothing, not even the node's pings: each holds
// a slot for Bitcoin Core's TIMEOUT_INTERVAL (20 minutes) before the node drops it. Core pings a
// peer as soon as the handshake is done and every PING_INTERVAL (2 min) after; an honest peer
// answers within a round trip (under a second, a few seconds over Tor). A peer whose ping has
// gone `silentSeconds` unanswered is silent; `silentPeers` silent at once raise the alert (one
// slow peer is no attack). Seen from the messages (our ping out, its pong in: IPC tracing, eBPF,
// the log with -debug=net) or from getpeerinfo's `pingwait` (RPC, IPC). A getpeerinfo without
// pingwait (a node or recorder that leaves it out) still counts the bytes: ping and pong carry the
// same 8-byte nonce in the same framing, so `bytessent_per_msg.ping` above `bytesrecv_per_msg.pong`
// is a ping outstanding; unchanged across snapshots `silentSeconds` apart, it is the same ping.
import type { PeerInfo } from "../../events/index.js";
import type { PeerwatchEvent } from "../../events/index.js";
import type { AlertData, Due, Heuristic } from "./heuristics.js";
import { netgroup } from "./netgroup.js";
import type { PeerBook } from "./peer-book.js";
import type { Thresholds } from "./thresholds.js";

const S = 1_000_000;
const NONE: readonly AlertData[] = Object.freeze([]);
const MAX_PEERS = 10_000;

export class SilentPeers implements Heuristic {
  readonly name = "silent-peers";
  readonly prefixes = ["net.message", "net.connection", "peers.snapshot", "ping.rtt", "threads.snapshot"];
  /** Peers with a ping outstanding, oldest first: id → when it was sent. */
  private readonly waiting = new Map<number, number>();
  /** Peers silent past the limit: id → since when. */
  private readonly silent = new Map<number, number>();
  /** getpeerinfo without pingwait: peers with ping bytes unanswered → those bytes and the first snapshot that showed them. */
  private readonly unanswered = new Map<number, { pingBytes: number; since: number }>();

  constructor(
    private readonly t: Thresholds,
    private readonly book: PeerBook,
  ) {}

  onEvent(e: PeerwatchEvent, due: Due): readonly AlertData[] {
    const limit = this.t.silentSeconds * S;
    if (e.type === "net.message") {
      const d = e.data;
      if (d.direction === "out" && d.msgType === "ping" && !this.waiting.has(d.peerId) && !this.silent.has(d.peerId)) {
        if (this.waiting.size >= MAX_PEERS) this.waiting.delete(this.waiting.keys().next().value as number);
        this.waiting.set(d.peerId, e.ts);
      } else if (d.direction === "in" && d.msgType === "pong") {
        this.waiting.delete(d.peerId);
        this.silent.delete(d.peerId);
      }
    } else if (e.type === "net.connection") {
      // Gone, or a new connection under a reused id (a restarted node numbers from 0 again).
      if (e.data.kind !== "misbehaving") {
        this.waiting.delete(e.data.peerId);
        this.silent.delete(e.data.peerId);
      }
    } else if (e.type === "peers.snapshot") {
      // Peers the node no longer lists are gone, whether or not a close was seen (a restart shows none).
      if (this.waiting.size + this.silent.size > 0) {
        const now = new Set(e.data.peers.map((p) => p.id));
        for (const id of this.waiting.keys()) if (!now.has(id)) this.waiting.delete(id);
        for (const id of this.silent.keys()) if (!now.has(id)) this.silent.delete(id);
      }
      const mute = e.data.peers.filter((p) => (p.pingWaitMs ?? this.byteWaitMs(p, e.ts)) >= limit / 1000);
      if (this.unanswered.size > 0) {
        const listed = new Set(e.data.peers.map((p) => p.id));
        for (const id of this.unanswered.keys()) if (!listed.has(id)) this.unanswered.delete(id);
      }
      if (mute.length >= this.t.silentPeers && due(this.name)) {
        const groups = new Set(mute.map((p) => netgroup(p.addr, p.mappedAs)));
        return [
          {
            name: this.name,
            severity: "warning",
            detail:
              `${mute.length} peers have left the node's ping unanswered for ${this.t.silentSeconds} s or more ` +
              `(getpeerinfo pingwait, or ping bytes sent over pong bytes received; threshold ${this.t.silentPeers} peers; Core waits 20 min), ` +
              `from ${groups.size} netgroup(s): ${mute
                .slice(0, 5)
                .map((p) => `peer ${p.id} ${p.addr} ${((p.pingWaitMs ?? this.byteWaitMs(p, e.ts)) / 1000).toFixed(0)} s`)
                .join(", ")}`,
          },
        ];
      }
      return NONE;
    }
    let moved = 0;
    for (const [id, at] of this.waiting) {
      if (e.ts - at < limit) break;
      this.waiting.delete(id);
      if (this.book.get(id)?.closed) continue; // gone: its ping was traced after the close
      if (this.silent.size >= MAX_PEERS) this.silent.delete(this.silent.keys().next().value as number);
      this.silent.set(id, at);
      moved++;
    }
    if (moved === 0 || this.silent.size < this.t.silentPeers || !due(this.name)) return NONE;
    const shown = [...this.silent].slice(-5).map(([id, at]) => `${this.book.describe(id)} ${((e.ts - at) / S).toFixed(0)} s`);
    return [
      {
        name: this.name,
        severity: "warning",
        detail:
          `${this.silent.size} peers have not answered the node's ping for ${this.t.silentSeconds} s or more (threshold ${this.t.silentPeers} peers; ` +
          `honest peers answer within a round trip, Core waits 20 min): ${shown.join("; ")}`,
      },
    ];
  }

  /**
   * How long (ms, at least) a ping has gone unanswered by the bytes getpeerinfo counts, for a peer without pingwait: 0 when none
   * is outstanding. Called once per peer per snapshot (updates the record), then again for the detail (reads the same).
   */
  private byteWaitMs(p: PeerInfo, ts: number): number {
    const sent = p.bytesSentPerMsg?.ping ?? 0;
    const outstanding = sent > (p.bytesRecvPerMsg?.pong ?? 0);
    const before = this.unanswered.get(p.id);
    if (!outstanding) {
      if (before !== undefined) this.unanswered.delete(p.id);
      return 0;
    }
    if (before === undefined || before.pingBytes !== sent) {
      if (before === undefined && this.unanswered.size >= MAX_PEERS) this.unanswered.delete(this.unanswered.keys().next().value as number);
      this.unanswered.set(p.id, { pingBytes: sent, since: ts });
      return 0;
    }
    return (ts - before.since) / 1000;
  }
}
