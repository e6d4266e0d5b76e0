// Peers that cost the node outsized work, from getpeerinfo (RPC or IPC):
// - `peer-cpu`: Bitcoin Knots reports `cpu_load` per peer (the share of a CPU its messages took
//   the node, e.g. 0.368 on a quiet regtest node); a peer at `peerCpuLoad` or more, that is also the
//   largest share of the sum, is taking the message handler thread (b-msghand) for itself.
// - `send-queue`: `inv_to_send` of one peer above `invToSendPeer` = MAX_INV_SZ (50,000): more
//   than one maximal inv message queued for it; in the 2026 mass broadcast the sum reached 1.7M
//   and one peer 60k while b-msghand ran at 100 %.
// The alert names the peer, its share and the node-wide sum, so one peer can be told from a
// node that is busy for everyone.
import type { PeerwatchEvent } from "../../events/index.js";
import type { AlertData, Due, Heuristic } from "./heuristics.js";
import type { PeerBook } from "./peer-book.js";
import type { Thresholds } from "./thresholds.js";

const NONE: readonly AlertData[] = Object.freeze([]);

export class PeerLoad implements Heuristic {
  readonly name = "peer-load";
  readonly prefixes = ["peers.snapshot"];

  constructor(
    private readonly t: Thresholds,
    private readonly book: PeerBook,
  ) {}

  onEvent(e: PeerwatchEvent, due: Due): readonly AlertData[] {
    if (e.type !== "peers.snapshot") return NONE;
    let out: AlertData[] | undefined;
    let cpuSum = 0;
    let invSum = 0;
    let topCpu: { id: number; addr: string; v: number } | undefined;
    for (const p of e.data.peers) {
      if (p.cpuLoad !== undefined) {
        cpuSum += p.cpuLoad;
        if (topCpu === undefined || p.cpuLoad > topCpu.v) topCpu = { id: p.id, addr: p.addr, v: p.cpuLoad };
      }
      if (p.invToSend !== undefined) invSum += p.invToSend;
    }
    if (topCpu !== undefined && topCpu.v >= this.t.peerCpuLoad && due("peer-cpu", topCpu.id)) {
      (out ??= []).push({
        name: "peer-cpu",
        severity: "warning",
        peerId: topCpu.id,
        detail:
          `${this.book.describe(topCpu.id, topCpu.addr)} has cpu_load ${topCpu.v.toFixed(3)}, ` +
          `${cpuSum > 0 ? ((topCpu.v / cpuSum) * 100).toFixed(0) : "100"}% of all peers' ${cpuSum.toFixed(3)} (threshold ${this.t.peerCpuLoad})`,
      });
    }
    for (const p of e.data.peers) {
      if (p.invToSend === undefined || p.invToSend <= this.t.invToSendPeer || !due("send-queue", p.id)) continue;
      (out ??= []).push({
        name: "send-queue",
        severity: "warning",
        peerId: p.id,
        detail:
          `${this.book.describe(p.id, p.addr)} has ${p.invToSend} inventory entries waiting to be sent (threshold ${this.t.invToSendPeer} = ` +
          `MAX_INV_SZ); all peers: ${invSum}`,
      });
    }
    return out ?? NONE;
  }
}
