// `addr-spam` from the node's own count: the log's "Received addr: N addresses (P processed, R
// rate-limited) from peer=N" (net_processing.cpp ProcessAddrs) says how many addresses Core's token
// bucket dropped. The same threshold as the message-based addr-spam (heuristics.ts), which needs
// the entry counts only IPC tracing and eBPF decode; this lets the log alone see an addr flood or
// drip. Both raise one alert name, so the engine reports a peer once whichever sees it first.
import type { PeerwatchEvent } from "../../events/index.js";
import type { AlertData, Due, Heuristic } from "./heuristics.js";
import type { PeerBook } from "./peer-book.js";
import type { Thresholds } from "./thresholds.js";
import { WindowSum } from "./windows.js";

const S = 1_000_000;
const NONE: readonly AlertData[] = Object.freeze([]);

export class AddrRateLimited implements Heuristic {
  readonly name = "addr-spam";
  readonly prefixes = ["addr.received"];
  private readonly dropped: WindowSum;

  constructor(
    private readonly t: Thresholds,
    private readonly book: PeerBook,
  ) {
    this.dropped = new WindowSum(t.addrWindowSeconds * S);
  }

  onEvent(e: PeerwatchEvent, due: Due): readonly AlertData[] {
    if (e.type !== "addr.received" || e.data.rateLimited === 0) return NONE;
    const n = this.dropped.add(e.data.peerId, e.ts, e.data.rateLimited);
    if (n <= this.t.addrExcessEntries || !due(this.name, e.data.peerId)) return NONE;
    return [
      {
        name: this.name,
        severity: "warning",
        peerId: e.data.peerId,
        detail:
          `${this.book.describe(e.data.peerId)} sent ${n} addresses that the node's own rate limit dropped in ${this.t.addrWindowSeconds} s (the ` +
          `log's "rate-limited" count; threshold ${this.t.addrExcessEntries})`,
      },
    ];
  }
}
