// Protocol violations the node itself noticed, per peer and per range:
// - `protocol-garbage`: bytes the transport refused (wrong network magic, bad checksum, oversized
//   or undecodable header, invalid message type, v2 transport failures: the log's "Header error"
//   and "V2 transport error" lines, net.cpp). No honest implementation sends these: one is enough.
//   The log's "receiving message bytes failed" disconnection of an inbound peer is the same verdict:
//   net.cpp logs it when the transport refuses a peer's bytes ("serious transport problem": a header
//   error, a broken v2 handshake). Only inbound: Core's own outbound v2 attempts to v1-only peers end
//   the same way before it reconnects with v1 (the benign recordings hold dozens), while as the
//   responder it tells a v1 peer by its first bytes and never fails an honest one. It counts for a
//   peer whose header error line the log did not give, not twice for one that it did.
// - `misbehaving-peer`: what net_processing punished (Misbehaving(): invalid headers, unconnecting
//   headers, oversized inv/addr …; the eBPF tracepoint net:misbehaving_connection or the log's
//   "Misbehaving" line), peers it disconnected and discouraged ("Disconnecting and discouraging"),
//   and (info) discouraged or banned addresses that come back (the log's "connection from …
//   dropped (discouraged)"). Since Core 28 one Misbehaving() discourages the peer: one is enough.
// Each alert names the peer and how many violations its netgroup made in the window, so a range
// rotating addresses shows as one source.
import type { PeerwatchEvent } from "../../events/index.js";
import type { AlertData, Due, Heuristic } from "./heuristics.js";
import { netgroup } from "./netgroup.js";
import type { PeerBook } from "./peer-book.js";
import type { Thresholds } from "./thresholds.js";
import { WindowSum } from "./windows.js";

const S = 1_000_000;
const NONE: readonly AlertData[] = Object.freeze([]);
const MAX_PEERS = 10_000;
/** net.cpp's disconnection when CNode::ReceiveMsgBytes fails, i.e. the transport refused the bytes. */
const TRANSPORT_REFUSED = "receiving message bytes failed";

export class ProtocolViolation implements Heuristic {
  readonly name = "protocol-garbage";
  readonly prefixes = ["net.protocol_error", "net.connection", "peer.disconnecting", "net.inbound_refused"];
  private readonly perPeer: WindowSum;
  private readonly perGroup: WindowSum;
  private readonly refused: WindowSum;
  /**
   * Peers the transport refused: true once counted (a header error, so the disconnection that follows is not counted again),
   * false while the log's disconnection waits for its "closed" line to say inbound. The oldest are forgotten first.
   */
  private readonly refusedBefore = new Map<number, boolean>();

  constructor(
    private readonly t: Thresholds,
    private readonly book: PeerBook,
  ) {
    this.perPeer = new WindowSum(t.violationsWindowSeconds * S);
    this.perGroup = new WindowSum(t.violationsWindowSeconds * S);
    this.refused = new WindowSum(t.violationsWindowSeconds * S, 60, 1);
  }

  onEvent(e: PeerwatchEvent, due: Due): readonly AlertData[] {
    switch (e.type) {
      case "net.protocol_error": {
        const d = e.data;
        if (d.peerId !== undefined) {
          this.refusedBefore.set(d.peerId, true);
          if (this.refusedBefore.size > MAX_PEERS) this.refusedBefore.delete(this.refusedBefore.keys().next().value as number);
        }
        return this.violation("protocol-garbage", d.peerId, "", e.ts, `${problemWords[d.problem]} ("${d.detail.slice(0, 120)}")`, due);
      }
      case "net.connection":
        if (e.data.kind === "closed" && e.data.connType === "inbound" && this.refusedBefore.get(e.data.peerId) === false) {
          this.refusedBefore.set(e.data.peerId, true);
          const what =
            `had its bytes refused by the node's transport, which disconnected it ("${TRANSPORT_REFUSED}", net.cpp: a header error or a broken ` +
            `v2 handshake)`;
          return this.violation("protocol-garbage", e.data.peerId, e.data.addr ?? "", e.ts, what, due);
        }
        if (e.data.kind !== "misbehaving") return NONE;
        return this.violation(
          "misbehaving-peer",
          e.data.peerId,
          e.data.addr ?? "",
          e.ts,
          `was punished by the node: ${e.data.reason || "no reason given"}`,
          due,
        );
      case "peer.disconnecting":
        if (e.data.cause === "other" && e.data.detail.startsWith(TRANSPORT_REFUSED) && !this.refusedBefore.has(e.data.peerId)) {
          // Judged when the log says the connection was inbound (its "closed" line follows at once).
          this.refusedBefore.set(e.data.peerId, false);
          if (this.refusedBefore.size > MAX_PEERS) this.refusedBefore.delete(this.refusedBefore.keys().next().value as number);
          return NONE;
        }
        if (e.data.cause !== "discouraged") return NONE;
        return this.violation("misbehaving-peer", e.data.peerId, e.data.addr ?? "", e.ts, "was disconnected and discouraged by the node", due);
      case "net.inbound_refused": {
        if (e.data.reason !== "discouraged" && e.data.reason !== "banned") return NONE;
        const n = this.refused.add("all", e.ts);
        if (!due("misbehaving-return")) return NONE;
        return [
          {
            name: "misbehaving-return",
            severity: "info",
            detail: `${e.data.reason} address ${e.data.addr ?? "(unknown)"} tried to connect again; ${n} such refusals in ${this.t.violationsWindowSeconds} s`,
          },
        ];
      }
    }
    return NONE;
  }

  private violation(name: string, peerId: number | undefined, addr: string, ts: number, what: string, due: Due): readonly AlertData[] {
    const key = peerId ?? -1;
    const n = this.perPeer.add(key, ts);
    const group = peerId === undefined ? netgroup(addr) : this.book.group(peerId, addr);
    const g = this.perGroup.add(group || "unknown", ts);
    if (n < this.t.violationsPerPeer || !due(name, peerId)) return NONE;
    const who = peerId === undefined ? "a peer the node did not name" : this.book.describe(peerId, addr);
    const range = group ? `; ${g} violation${g === 1 ? "" : "s"} from ${group} in ${this.t.violationsWindowSeconds} s` : "";
    return [
      {
        name,
        severity: "warning",
        ...(peerId !== undefined ? { peerId } : {}),
        detail: `${who} ${what}${range} (threshold ${this.t.violationsPerPeer} per peer)`,
      },
    ];
  }
}

const problemWords: Record<string, string> = {
  wrong_magic: "sent bytes with the wrong network magic",
  bad_checksum: "sent a message with a bad checksum",
  oversized: "sent a message header claiming more than the 4 MB limit (MAX_PROTOCOL_MESSAGE_LENGTH)",
  bad_header: "sent an undecodable message header",
  invalid_type: "sent an invalid message type",
  v2_transport: "broke the v2 transport (BIP324)",
};
