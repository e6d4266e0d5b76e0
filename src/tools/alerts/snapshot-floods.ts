// Message floods as getpeerinfo sees them, for sources that see no messages (RPC; IPC without
// tracing): the growth of a peer's `bytesrecv_per_msg` and `addr_rate_limited` between two
// snapshots. A v1 message costs a 24-byte header; a ping is 32 bytes on the wire, an inv entry 36
// bytes (+ the header per message, so small invs are over-counted, which only errs high for honest
// peers far below the threshold). The thresholds are the message-based detectors' own, per their
// windows: ping-spam (pingSpamCount per pingSpamWindowSeconds), inv-spam (invFloodEntries per
// invFloodWindowSeconds) and addr-spam (addresses the node's rate limit dropped, addrExcessEntries
// per addrWindowSeconds, summed over that window rather than one poll interval). The alert names are the same, so the engine reports a peer once.
// A peer's first snapshot is compared with its connection (`conntime`, when every counter was 0), so
// a flood that comes and goes between two polls (the lab's 20,000 pings took 2 s) is still seen.
// tx-spam: Core sends a `tx` only in answer to a `getdata`, and getpeerinfo counts the getdata bytes
// it sent the peer when it queues them, so `tx` bytes received from a peer never sent a getdata are
// pushed transactions. Bytes do not give the count (a tx is 60 bytes to 4 MB); the alert needs at
// least the bytes of `unsolicitedTxs` smallest transactions (60 bytes + the 24-byte header each).
import type { PeerInfo, PeerwatchEvent } from "../../events/index.js";
import type { AlertData, Due, Heuristic } from "./heuristics.js";
import type { PeerBook } from "./peer-book.js";
import type { Thresholds } from "./thresholds.js";

const S = 1_000_000;
const NONE: readonly AlertData[] = Object.freeze([]);
const MAX_PEERS = 10_000;
const PING_WIRE_BYTES = 32;
const INV_ENTRY_BYTES = 36;
/** The smallest tx message: 1 input with an empty script (41), 1 empty output (9), version, counts, locktime (10), header (24). */
const MIN_TX_MESSAGE_BYTES = 84;

interface Seen {
  ts: number;
  connTime: number;
  ping: number;
  inv: number;
  addrLimited: number;
  tx: number;
  getdataSent: number;
  /** addr_rate_limited at the start of the current addr window (the connection, or a snapshot at most addrWindowSeconds ago). */
  addrFrom?: { ts: number; v: number };
}

export class SnapshotFloods implements Heuristic {
  readonly name = "snapshot-floods";
  readonly prefixes = ["peers.snapshot"];
  private readonly seen = new Map<number, Seen>();

  constructor(
    private readonly t: Thresholds,
    private readonly book: PeerBook,
  ) {}

  onEvent(e: PeerwatchEvent, due: Due): readonly AlertData[] {
    if (e.type !== "peers.snapshot") return NONE;
    let out: AlertData[] | undefined;
    for (const p of e.data.peers) {
      const now = this.read(p, e.ts);
      const known = this.seen.get(p.id);
      if (known === undefined && this.seen.size >= MAX_PEERS) this.seen.delete(this.seen.keys().next().value as number);
      this.seen.set(p.id, now);
      // A first look (or another connection under the same id) compares with the connection's start,
      // when every counter was 0; conntime is whole seconds, so the interval errs long (a lower rate).
      const before = known !== undefined && known.connTime === now.connTime ? known : this.atConnect(now);
      if (before === undefined || e.ts <= before.ts) continue;
      const seconds = (e.ts - before.ts) / S;
      const pings = Math.max(0, now.ping - before.ping) / PING_WIRE_BYTES;
      const entries = Math.max(0, now.inv - before.inv) / INV_ENTRY_BYTES;
      // Addresses dropped are summed over addrWindowSeconds, as addr-spam sums them: a slow drip (the lab's
      // 10 addresses every 150 ms) drops about 130 between two polls and 1000 only after some 15 s.
      let from = before.addrFrom ?? { ts: before.ts, v: before.addrLimited };
      if (e.ts - from.ts > this.t.addrWindowSeconds * S) from = { ts: before.ts, v: before.addrLimited };
      now.addrFrom = from;
      const dropped = Math.max(0, now.addrLimited - from.v);
      const addrSeconds = (e.ts - from.ts) / S;
      const who = () => this.book.describe(p.id, p.addr);
      const over = (n: number, limit: number, window: number) => n > limit && n / seconds > limit / window;
      if (over(pings, this.t.pingSpamCount, this.t.pingSpamWindowSeconds) && due("ping-spam", p.id)) {
        (out ??= []).push({
          name: "ping-spam",
          severity: "warning",
          peerId: p.id,
          detail:
            `${who()} sent about ${Math.round(pings)} pings in ${seconds.toFixed(0)} s (getpeerinfo bytesrecv_per_msg; threshold ` +
            `${this.t.pingSpamCount} in ${this.t.pingSpamWindowSeconds} s)`,
        });
      }
      if (over(entries, this.t.invFloodEntries, this.t.invFloodWindowSeconds) && due("inv-spam", p.id)) {
        (out ??= []).push({
          name: "inv-spam",
          severity: "warning",
          peerId: p.id,
          detail:
            `${who()} announced about ${Math.round(entries)} inventory entries in ${seconds.toFixed(0)} s (getpeerinfo bytesrecv_per_msg; threshold ` +
            `${this.t.invFloodEntries} in ${this.t.invFloodWindowSeconds} s: MAX_PEER_TX_ANNOUNCEMENTS)`,
        });
      }
      const pushedBytes = now.getdataSent === 0 ? now.tx - before.tx : 0;
      if (pushedBytes >= this.t.unsolicitedTxs * MIN_TX_MESSAGE_BYTES && due("tx-spam", p.id)) {
        (out ??= []).push({
          name: "tx-spam",
          severity: "warning",
          peerId: p.id,
          detail:
            `${who()} pushed ${pushedBytes} bytes of transactions in ${seconds.toFixed(0)} s and was never sent a getdata (getpeerinfo ` +
            `bytesrecv_per_msg.tx, bytessent_per_msg.getdata 0; Core sends tx only in answer to getdata; threshold the bytes of ` +
            `${this.t.unsolicitedTxs} smallest transactions, ${this.t.unsolicitedTxs * MIN_TX_MESSAGE_BYTES})`,
        });
      }
      if (dropped > this.t.addrExcessEntries && due("addr-spam", p.id)) {
        (out ??= []).push({
          name: "addr-spam",
          severity: "warning",
          peerId: p.id,
          detail:
            `${who()} had ${dropped} addresses dropped by the node's rate limit in ${addrSeconds.toFixed(0)} s (getpeerinfo addr_rate_limited; threshold ` +
            `${this.t.addrExcessEntries} in ${this.t.addrWindowSeconds} s)`,
        });
      }
    }
    return out ?? NONE;
  }

  private read(p: PeerInfo, ts: number): Seen {
    const r = p.bytesRecvPerMsg;
    return {
      ts,
      connTime: p.connTime,
      ping: r?.ping ?? 0,
      inv: r?.inv ?? 0,
      addrLimited: p.addrRateLimited ?? 0,
      tx: r?.tx ?? 0,
      getdataSent: p.bytesSentPerMsg?.getdata ?? 0,
    };
  }

  /** The counters at the connection's start (all 0), or undefined when getpeerinfo gave no conntime. */
  private atConnect(now: Seen): Seen | undefined {
    if (now.connTime <= 0) return undefined;
    return { ts: now.connTime * S, connTime: now.connTime, ping: 0, inv: 0, addrLimited: 0, tx: 0, getdataSent: 0 };
  }
}
