// Thresholds of the detectors of issue 20 (inv flood, spy peer, handshakes, protocol violations,
// block stalling, eclipse, peer load), each with the Bitcoin Core constant or the measured traffic
// it stands on. They join thresholds.ts's schema, so `--alerts <file>` sets them like the others;
// docs/alerts.md has the long form.
import { z } from "zod";

const count = z.number().int().positive();
const seconds = z.number().positive();

export const DETECTOR_THRESHOLD_FIELDS = {
  /** Transaction announcements from one peer per window: MAX_PEER_TX_ANNOUNCEMENTS (5000) is all Core will track per peer. */
  invFloodEntries: count.default(5000),
  invFloodWindowSeconds: seconds.default(60),
  /** Transactions asked of a peer (our getdata) and neither delivered nor answered: MAX_PEER_TX_REQUEST_IN_FLIGHT is 100. */
  undeliveredTxs: count.default(50),
  /** How long those must stay undelivered: an honest peer answers a getdata within a round trip. */
  undeliveredSeconds: seconds.default(10),
  /** Transactions a peer must have asked for (getdata) before its lifetime ratios are judged. */
  spyMinAsked: count.default(50),
  /** Inbound connections still without a version after this long count as stalled (Core waits 60 s). */
  handshakeGraceSeconds: seconds.default(10),
  /** Stalled or abandoned handshakes (in handshakeWindowSeconds) that make an alert. */
  handshakeStalls: count.default(5),
  handshakeWindowSeconds: seconds.default(120),
  /** The node's -maxconnections, for inbound slots in use (Core's DEFAULT_MAX_PEER_CONNECTIONS). */
  maxConnections: count.default(125),
  /** Share of inbound slots (maxConnections − 11 outbound) in use that is reported. */
  inboundSlotsShare: z.number().positive().max(1).default(0.9),
  /** A ping unanswered this long makes a peer silent; this many silent peers at once make an alert. */
  silentSeconds: seconds.default(10),
  silentPeers: count.default(5),
  /**
   * Transactions a peer pushed that the node never asked for (Core sends tx only on getdata), per window. From getpeerinfo
   * alone (snapshot-floods.ts): tx bytes from a peer never sent a getdata, at least this many smallest transactions (84 bytes each).
   */
  unsolicitedTxs: count.default(50),
  /** Protocol violations (garbage, bad magic/checksum, oversized, misbehaving) per window that make an alert for a peer or a range. */
  violationsPerPeer: count.default(1),
  violationsWindowSeconds: seconds.default(600),
  /** A block asked of a peer (getdata) and not delivered within this long. */
  blockStallSeconds: seconds.default(20),
  /** Headers ahead of the active tip for this long while peers hold blocks in flight. */
  tipBehindSeconds: seconds.default(60),
  /** Inbound peers in one netgroup that make a concentration, and their least share of all inbound. */
  netgroupInboundPeers: count.default(10),
  netgroupInboundShare: z.number().positive().max(1).default(0.5),
  /** Automatic outbound peers opened per window that make an outbound-set change. */
  outboundChurn: count.default(6),
  outboundChurnWindowSeconds: seconds.default(600),
  /** Knots' cpu_load of one peer (fraction of the node's message handling), and its share of the sum. */
  peerCpuLoad: z.number().positive().default(0.5),
  /** inv_to_send of one peer: more than one maximal inv message (MAX_INV_SZ) queued. */
  invToSendPeer: count.default(50_000),
  /** Transactions the node rejected from one peer (or, unnamed, from all), per window. */
  txRejects: count.default(100),
  txRejectsWindowSeconds: seconds.default(60),
};
