// Inbound eclipse attempt: 100 honest-looking peers from two /24s connect within seconds, complete
// the handshake, answer pings and stay for 30 s, filling the node's inbound slots (the lab's node
// runs -maxconnections=64, so about 50 inbound slots) and forcing evictions of other inbound peers.
// Imitates: Heilman et al., "Eclipse Attacks on Bitcoin's Peer-to-Peer Network" (USENIX Security
// 2015): occupy inbound slots from few ranges; Core's answers are netgroup-aware eviction
// (AttemptToEvictConnection, node/eviction.cpp) and outbound diversity. On loopback every peer is
// one netgroup to Core (all 127.x are "local").
import { inParallel, DEFAULT_LATENCY_SECONDS, type Scenario } from "../scenario.js";
import type { AdversaryPeer } from "../adversary/peer.js";

const PEERS = 100;

export const eclipseInbound: Scenario = {
  name: "eclipse-inbound",
  kind: "attack",
  summary: `${PEERS} peers from two /24s connect within seconds and hold their slots for 30 s`,
  imitates: "Heilman et al., USENIX Security 2015 (eclipse by inbound slots); node/eviction.cpp AttemptToEvictConnection",
  detectWith: ["inbound-concentration"],
  maxLatencySeconds: DEFAULT_LATENCY_SECONDS,
  maxSeconds: 80,
  nodeFlags: ["-maxconnections=64"],
  async run(ctx) {
    const peers: AdversaryPeer[] = [];
    let held = 0;
    await inParallel(PEERS, 8, async (i) => {
      try {
        const p = await ctx.connect(ctx.address((i % 50) + 1, i < 50 ? 0 : 1));
        if (await p.handshake({}, 5000)) held++;
        peers.push(p);
      } catch (e) {
        ctx.log(`peer ${i}: ${(e as Error).message}`);
      }
    });
    await ctx.sleep(30_000);
    const stillOpen = peers.filter((p) => p.isOpen).length;
    let sent = 0;
    for (const p of peers) {
      sent += p.sent;
      p.close();
    }
    return { messages: sent, connections: PEERS, notes: `${held} handshakes, ${stillOpen} still connected after 30 s (the rest evicted or dropped)` };
  },
};
