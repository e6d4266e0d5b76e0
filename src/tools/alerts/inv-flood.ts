// Inventory floods and announcements that are never delivered.
//
// `inv-spam`: a peer announces more transactions in a window than Bitcoin Core will even keep
// track of for one peer (MAX_PEER_TX_ANNOUNCEMENTS = 5000, txdownloadman.h), or sends one inv over
// MAX_INV_SZ (50,000, net_processing.cpp), which Core punishes as misbehaviour.
// `tx-undelivered`: the node asked a peer for transactions it announced (our getdata) and the peer
// neither sent them nor said notfound within `undeliveredSeconds`, or answered notfound for many:
// announcements of transactions that do not exist, which tie up Core's request slots for the
// peer (MAX_PEER_TX_REQUEST_IN_FLIGHT = 100, each waiting GETDATA_TX_INTERVAL = 60 s).
// State per peer is a window ring and four numbers; peers are bounded like the windows.
import type { PeerwatchEvent } from "../../events/index.js";
import type { AlertData, Due, Heuristic } from "./heuristics.js";
import { invEntries, txEntries } from "./inv-counts.js";
import type { PeerBook } from "./peer-book.js";
import type { Thresholds } from "./thresholds.js";
import { WindowSum } from "./windows.js";

const S = 1_000_000;
const NONE: readonly AlertData[] = Object.freeze([]);
/** Core's limit on the entries of one inv message (MAX_INV_SZ). */
export const MAX_INV_SZ = 50_000;
const MAX_PEERS = 10_000;

interface Requests {
  asked: number;
  delivered: number;
  notfound: number;
  /** Since when `asked − delivered − notfound` has been at or over the threshold (µs), or 0. */
  owingSince: number;
}

export class InvFlood implements Heuristic {
  readonly name = "inv-spam";
  readonly prefixes = ["net.message", "net.connection", "peers.snapshot", "ping.rtt", "threads.snapshot"];
  private readonly announced: WindowSum;
  private readonly requests = new Map<number, Requests>();
  /** Peers owing transactions: checked at most once a second, so a silent peer is still judged. */
  private readonly owing = new Set<number>();
  private nextSweep = 0;

  constructor(
    private readonly t: Thresholds,
    private readonly book: PeerBook,
  ) {
    this.announced = new WindowSum(t.invFloodWindowSeconds * S);
  }

  onEvent(e: PeerwatchEvent, due: Due): readonly AlertData[] {
    let out: AlertData[] | undefined;
    if (e.type === "net.connection") {
      if (e.data.kind === "closed" || e.data.kind === "evicted" || e.data.kind === "inbound" || e.data.kind === "outbound") {
        this.requests.delete(e.data.peerId); // gone, or a new connection under a reused id
        this.owing.delete(e.data.peerId);
      }
    } else if (e.type === "peers.snapshot" && this.owing.size > 0) {
      const listed = new Set(e.data.peers.map((p) => p.id));
      for (const id of this.owing)
        if (!listed.has(id)) {
          this.owing.delete(id);
          this.requests.delete(id);
        }
    } else if (e.type === "net.message") {
      const d = e.data;
      if (d.direction === "in" && d.msgType === "inv") {
        const all = invEntries(d);
        const txs = txEntries(d);
        const n = txs > 0 ? this.announced.add(d.peerId, e.ts, txs) : 0;
        if ((all > MAX_INV_SZ || n > this.t.invFloodEntries) && due(this.name, d.peerId)) {
          const what =
            all > MAX_INV_SZ
              ? `sent one inv of ${all} entries (over MAX_INV_SZ ${MAX_INV_SZ}, which Core punishes)`
              : `announced ${n} transactions in ${this.t.invFloodWindowSeconds} s (threshold ${this.t.invFloodEntries}: MAX_PEER_TX_ANNOUNCEMENTS, all Core ` +
                `tracks per peer)`;
          (out ??= []).push({
            name: this.name,
            severity: "warning",
            peerId: d.peerId,
            detail: `${this.book.describe(d.peerId, d.addr)} ${what}${this.owedText(d.peerId)}`,
          });
        }
      } else if (d.direction === "out" && d.msgType === "getdata") {
        const txs = txEntries(d);
        if (txs > 0) this.owe(d.peerId, e.ts, txs, 0, 0);
      } else if (d.direction === "in" && (d.msgType === "tx" || d.msgType === "block" || d.msgType === "cmpctblock")) {
        // Blocks count as delivered too: from the log (sizes only) a getdata cannot say what it asked.
        this.owe(d.peerId, e.ts, 0, 1, 0);
      } else if (d.direction === "in" && d.msgType === "notfound") {
        this.owe(d.peerId, e.ts, 0, 0, txEntries(d));
      }
    }
    if (e.ts >= this.nextSweep && this.owing.size > 0) {
      this.nextSweep = e.ts + S;
      for (const id of this.owing) {
        const r = this.requests.get(id);
        if (r === undefined || r.owingSince === 0 || this.book.get(id)?.closed) {
          this.owing.delete(id);
          continue;
        }
        if (e.ts - r.owingSince < this.t.undeliveredSeconds * S || !due("tx-undelivered", id)) continue;
        const owed = r.asked - r.delivered - r.notfound;
        (out ??= []).push({
          name: "tx-undelivered",
          severity: "warning",
          peerId: id,
          detail:
            `${this.book.describe(id)} was asked for ${r.asked} announced transactions and delivered ${r.delivered}: ${owed} unanswered for ` +
            `${((e.ts - r.owingSince) / S).toFixed(0)} s and ${r.notfound} notfound (threshold ${this.t.undeliveredTxs} for ${this.t.undeliveredSeconds} ` +
            `s; Core holds up to 100 requests per peer for 60 s each)`,
        });
      }
    }
    return out ?? NONE;
  }

  /** Count asked/delivered/notfound for a peer; a peer that has caught up starts afresh. */
  private owe(id: number, ts: number, asked: number, delivered: number, notfound: number): void {
    let r = this.requests.get(id);
    if (r === undefined) {
      if (asked === 0) return; // nothing was asked of it: a tx it pushed unasked is not our business here
      r = { asked: 0, delivered: 0, notfound: 0, owingSince: 0 };
      if (this.requests.size >= MAX_PEERS) {
        const oldest = this.requests.keys().next().value as number;
        this.requests.delete(oldest);
        this.owing.delete(oldest);
      }
      this.requests.set(id, r);
    }
    r.asked += asked;
    r.delivered += delivered;
    r.notfound += notfound;
    const owed = r.asked - r.delivered - r.notfound;
    if (owed <= 0 && r.notfound < this.t.undeliveredTxs) {
      r.asked = r.delivered = r.notfound = 0; // all answered: forget, so honest history never adds up
      r.owingSince = 0;
    } else if (owed >= this.t.undeliveredTxs || r.notfound >= this.t.undeliveredTxs) {
      if (r.owingSince === 0) r.owingSince = ts;
      this.owing.add(id);
    } else {
      r.owingSince = 0;
    }
  }

  private owedText(id: number): string {
    const r = this.requests.get(id);
    return r && r.asked > 0 ? `; of ${r.asked} asked for, ${r.delivered} delivered` : "";
  }
}
