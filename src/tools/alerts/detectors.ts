// The detectors of issue 20, in the order the engine runs them: the peer book first, so each
// detector can describe the peer of the event it is looking at.
import type { Heuristic } from "./heuristics.js";
import { AddrRateLimited } from "./addr-rate-limited.js";
import { BlockStall } from "./block-stall.js";
import { Eclipse } from "./eclipse.js";
import { HandshakeStall } from "./handshake-stall.js";
import { InvFlood } from "./inv-flood.js";
import { PeerBook } from "./peer-book.js";
import { PeerLoad } from "./peer-load.js";
import { ProtocolViolation } from "./protocol-violation.js";
import { SpyPeer } from "./spy-peer.js";
import type { Thresholds } from "./thresholds.js";
import { SilentPeers } from "./silent-peers.js";
import { SnapshotFloods } from "./snapshot-floods.js";
import { TxSpam } from "./tx-spam.js";

export function detectorHeuristics(t: Thresholds): Heuristic[] {
  const book = new PeerBook();
  return [
    book,
    new InvFlood(t, book),
    new SpyPeer(t, book),
    new HandshakeStall(t, book),
    new ProtocolViolation(t, book),
    new BlockStall(t, book),
    new Eclipse(t, book),
    new PeerLoad(t, book),
    new TxSpam(t, book),
    new SilentPeers(t, book),
    new AddrRateLimited(t, book),
    new SnapshotFloods(t, book),
  ];
}
