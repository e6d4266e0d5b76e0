// Handshake-then-silent peers: 24 peers complete the handshake and then never answer anything,
// not even the node's pings, for 30 s.
// Imitates: TIMEOUT_INTERVAL 20 min (net.h): Bitcoin Core waits that long for a pong or any
// message before dropping a peer, so mute peers hold slots for 20 minutes each (a cheap way to
// occupy inbound slots, as in Heilman et al. 2015 and the "Erebus" partitioning of Tran et al.,
// IEEE S&P 2020, which needs long-lived attacker connections).
import { inParallel, DEFAULT_LATENCY_SECONDS, type Scenario } from "../scenario.js";
import type { AdversaryPeer } from "../adversary/peer.js";

const PEERS = 24;

export const silentPeers: Scenario = {
  name: "silent-peers",
  kind: "attack",
  summary: `${PEERS} peers handshake, then answer nothing (no pong) for 30 s`,
  imitates: "TIMEOUT_INTERVAL 20 min (net.h): mute peers keep their slots; Heilman et al. 2015, Tran et al. (Erebus) 2020",
  detectWith: ["silent-peers"],
  maxLatencySeconds: DEFAULT_LATENCY_SECONDS,
  maxSeconds: 70,
  async run(ctx) {
    const peers: AdversaryPeer[] = [];
    let sent = 0;
    await inParallel(PEERS, 4, async (i) => {
      try {
        const p = await ctx.connect(ctx.address(i + 1));
        p.autoPong = false;
        if (await p.handshake({}, 5000)) peers.push(p);
        else p.close();
      } catch (e) {
        ctx.log(`peer ${i}: ${(e as Error).message}`);
      }
    });
    await ctx.sleep(30_000);
    for (const p of peers) {
      sent += p.sent;
      p.close();
    }
    return { messages: sent, connections: PEERS, notes: `${peers.length} held` };
  },
};
