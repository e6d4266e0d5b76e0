// Thresholds of the fleet heuristics (docs/alerts.md, "Fleet view", has the reasoning).
export interface FleetThresholds {
  /** Nodes one inbound address must be connected to at once for `fleet-shared-peer`. */
  sharedPeerNodes: number;
  /** Nodes with inbound peers from one /24 (IPv4) or /48 (IPv6) for `fleet-shared-prefix`. */
  sharedPrefixNodes: number;
  /** … and at least this many such peers over those nodes. */
  sharedPrefixPeers: number;
  /** Nodes with inbound peers from one AS (the nodes' -asmap) for `fleet-shared-as`. */
  sharedAsNodes: number;
  sharedAsPeers: number;
  /** A node that connects a block this long after the first node did: `fleet-block-late`. */
  blockLateSeconds: number;
  /** `fleet-rtt-divergence`: one node's median pinger RTT this many times the others' median … */
  rttRatio: number;
  /** … and at least this much higher, in seconds (loopback RTT is well under a millisecond). */
  rttMinExcessSeconds: number;
  /** Samples per node the medians are taken over (the latest ones). */
  rttSamples: number;
  /** The same fleet alert (name and subject) is raised again at most this often. */
  repeatSeconds: number;
}

export const DEFAULT_FLEET_THRESHOLDS: FleetThresholds = {
  sharedPeerNodes: 2,
  sharedPrefixNodes: 3,
  sharedPrefixPeers: 6,
  sharedAsNodes: 3,
  sharedAsPeers: 10,
  blockLateSeconds: 30,
  rttRatio: 5,
  rttMinExcessSeconds: 0.1,
  rttSamples: 10,
  repeatSeconds: 600,
};

/** Bounds of the fleet's state, whatever the input. */
export const FLEET_LIMITS = { nodes: 64, peersPerNode: 20_000, blocks: 200 } as const;
