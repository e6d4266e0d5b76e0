// A peer whose transactions the node keeps rejecting: a flood of invalid, low-fee or conflicting
// transactions. The log names the peer ("… from peer=N was not accepted: reason", -debug=mempoolrej);
// eBPF's mempool:rejected does not, so then the peers that sent the most transactions in the same
// window are named as the likely source. `txRejects` per `txRejectsWindowSeconds`: 100 a minute is
// far above an honest peer (the shipped recordings reject 2 in their whole length; rejections of a
// healthy mainnet node are a few a minute across all peers).
import type { PeerwatchEvent } from "../../events/index.js";
import type { AlertData, Due, Heuristic } from "./heuristics.js";
import type { PeerBook } from "./peer-book.js";
import type { Thresholds } from "./thresholds.js";
import { WindowSum } from "./windows.js";

const S = 1_000_000;
const NONE: readonly AlertData[] = Object.freeze([]);

export class TxRejects implements Heuristic {
  readonly name = "tx-reject-flood";
  readonly prefixes = ["mempool.rejected", "net.message"];
  private readonly rejects: WindowSum;
  private readonly txsIn: WindowSum;
  /** Peers that sent transactions recently, for naming the likely source (bounded). */
  private readonly senders = new Map<number, true>();
  private readonly reasons = new Map<string, number>();

  constructor(
    private readonly t: Thresholds,
    private readonly book: PeerBook,
  ) {
    this.rejects = new WindowSum(t.txRejectsWindowSeconds * S);
    this.txsIn = new WindowSum(t.txRejectsWindowSeconds * S);
  }

  onEvent(e: PeerwatchEvent, due: Due): readonly AlertData[] {
    if (e.type === "net.message") {
      if (e.data.direction !== "in" || e.data.msgType !== "tx") return NONE;
      this.txsIn.add(e.data.peerId, e.ts);
      this.senders.delete(e.data.peerId);
      this.senders.set(e.data.peerId, true);
      if (this.senders.size > 64) this.senders.delete(this.senders.keys().next().value as number);
      return NONE;
    }
    if (e.type !== "mempool.rejected") return NONE;
    const key = e.data.peerId ?? -1;
    const n = this.rejects.add(key, e.ts);
    const reason = e.data.reason.split(/[ ,(]/)[0] ?? e.data.reason;
    if (this.reasons.size < 32 || this.reasons.has(reason)) this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1);
    if (n < this.t.txRejects || !due(this.name, e.data.peerId)) return NONE;
    const why = [...this.reasons].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([r, c]) => `${r} ×${c}`).join(", ");
    const who =
      e.data.peerId !== undefined
        ? this.book.describe(e.data.peerId)
        : `peers unnamed by the source; most transactions recently from ${[...this.senders.keys()].map((id) => [id, this.txsIn.sum(id, e.ts)] as const).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([id, c]) => `${this.book.describe(id)} (${c})`).join(", ") || "nobody seen"}`;
    return [{ name: this.name, severity: "warning", ...(e.data.peerId !== undefined ? { peerId: e.data.peerId } : {}), detail: `${n} transactions rejected in ${this.t.txRejectsWindowSeconds} s from ${who} (threshold ${this.t.txRejects}); reasons: ${why}` }];
  }
}
