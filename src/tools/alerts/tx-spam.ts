// Transaction floods: a peer pushing transactions the node never asked for, or whose transactions
// the node keeps rejecting (invalid, orphans with inputs that do not exist, fees too low).
// - unsolicited: Bitcoin Core sends a `tx` only in answer to a `getdata`; the transactions a peer
//   sent beyond what we asked of it (our getdata entries) are pushed. `unsolicitedTxs` in
//   `txRejectsWindowSeconds` raise the alert (honest peers push none).
// - rejected: the log names the peer ("… from peer=N was not accepted: reason", -debug=mempoolrej);
//   eBPF's mempool:rejected does not, so then the peers that sent the most transactions in the same
//   window are named as the likely source. `txRejects` per window: the shipped recordings reject 2
//   in their whole length; a healthy mainnet node rejects a few a minute across all peers.
import type { PeerwatchEvent } from "../../events/index.js";
import type { AlertData, Due, Heuristic } from "./heuristics.js";
import { txEntries } from "./inv-counts.js";
import type { PeerBook } from "./peer-book.js";
import type { Thresholds } from "./thresholds.js";
import { WindowSum } from "./windows.js";

const S = 1_000_000;
const NONE: readonly AlertData[] = Object.freeze([]);
const MAX_PEERS = 10_000;

export class TxSpam implements Heuristic {
  readonly name = "tx-spam";
  readonly prefixes = ["mempool.rejected", "net.message"];
  private readonly rejects: WindowSum;
  private readonly txsIn: WindowSum;
  private readonly pushed: WindowSum;
  /** Per peer: transactions asked of it and not yet received. */
  private readonly credit = new Map<number, number>();
  /** Peers that sent transactions recently, for naming the likely source (bounded). */
  private readonly senders = new Map<number, true>();
  private readonly reasons = new Map<string, number>();

  constructor(
    private readonly t: Thresholds,
    private readonly book: PeerBook,
  ) {
    this.rejects = new WindowSum(t.txRejectsWindowSeconds * S);
    this.txsIn = new WindowSum(t.txRejectsWindowSeconds * S);
    this.pushed = new WindowSum(t.txRejectsWindowSeconds * S);
  }

  onEvent(e: PeerwatchEvent, due: Due): readonly AlertData[] {
    if (e.type === "net.message") {
      const d = e.data;
      if (d.direction === "out" && d.msgType === "getdata") {
        const n = txEntries(d);
        if (n > 0) this.setCredit(d.peerId, (this.credit.get(d.peerId) ?? 0) + n);
        return NONE;
      }
      if (d.direction !== "in" || d.msgType !== "tx") return NONE;
      this.txsIn.add(d.peerId, e.ts);
      this.senders.delete(d.peerId);
      this.senders.set(d.peerId, true);
      if (this.senders.size > 64) this.senders.delete(this.senders.keys().next().value as number);
      const c = this.credit.get(d.peerId) ?? 0;
      if (c > 0) {
        this.setCredit(d.peerId, c - 1);
        return NONE;
      }
      const n = this.pushed.add(d.peerId, e.ts);
      if (n < this.t.unsolicitedTxs || !due(this.name, d.peerId)) return NONE;
      return [
        {
          name: this.name,
          severity: "warning",
          peerId: d.peerId,
          detail:
            `${this.book.describe(d.peerId, d.addr)} pushed ${n} transactions the node never asked for in ${this.t.txRejectsWindowSeconds} s ` +
            `(threshold ${this.t.unsolicitedTxs}; Core sends tx only in answer to getdata)${this.rejectsText(e.ts)}`,
        },
      ];
    }
    if (e.type !== "mempool.rejected") return NONE;
    const key = e.data.peerId ?? -1;
    const n = this.rejects.add(key, e.ts);
    const reason = e.data.reason.split(/[ ,(]/)[0] || e.data.reason;
    if (this.reasons.size < 32 || this.reasons.has(reason)) this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1);
    if (n < this.t.txRejects || !due(this.name, e.data.peerId)) return NONE;
    const who =
      e.data.peerId !== undefined
        ? this.book.describe(e.data.peerId)
        : `peers the source does not name; most transactions recently from ${this.topSenders(e.ts) || "nobody seen"}`;
    return [
      {
        name: this.name,
        severity: "warning",
        ...(e.data.peerId !== undefined ? { peerId: e.data.peerId } : {}),
        detail: `${n} transactions rejected in ${this.t.txRejectsWindowSeconds} s from ${who} (threshold ${this.t.txRejects})${this.rejectsText(e.ts)}`,
      },
    ];
  }

  private setCredit(id: number, n: number): void {
    if (!this.credit.has(id) && this.credit.size >= MAX_PEERS) this.credit.delete(this.credit.keys().next().value as number);
    this.credit.set(id, Math.min(n, 100_000));
  }

  private topSenders(now: number): string {
    return [...this.senders.keys()]
      .map((id) => [id, this.txsIn.sum(id, now)] as const)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([id, c]) => `${this.book.describe(id)} (${c})`)
      .join(", ");
  }

  private rejectsText(_now: number): string {
    if (this.reasons.size === 0) return "";
    return `; rejection reasons so far: ${[...this.reasons]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([r, c]) => `${r} ×${c}`)
      .join(", ")}`;
  }
}
