// Connections that never send version: 40 inbound connections from one /24 open and stay mute,
// holding inbound slots until Bitcoin Core's handshake timeout closes them.
// Imitates: DEFAULT_PEER_CONNECT_TIMEOUT 60 s (net.h, -peertimeout): a peer that has not completed
// version/verack by then is dropped ("version handshake timeout"); until then it holds a slot
// (slot exhaustion; Heilman et al. 2015 fill inbound slots to eclipse a node). The lab's node runs
// with -peertimeout=15 to keep the scenario short.
import { inParallel, DEFAULT_LATENCY_SECONDS, type Scenario } from "../scenario.js";
import type { AdversaryPeer } from "../adversary/peer.js";

const CONNECTIONS = 40;

export const noVersion: Scenario = {
  name: "no-version",
  kind: "attack",
  summary: `${CONNECTIONS} connections that send nothing, held until the node times them out`,
  imitates: "DEFAULT_PEER_CONNECT_TIMEOUT 60 s (-peertimeout; the lab runs 15 s); inbound slot exhaustion (Heilman et al. 2015)",
  detectWith: ["handshake-stall"],
  maxLatencySeconds: DEFAULT_LATENCY_SECONDS,
  maxSeconds: 45,
  nodeFlags: ["-peertimeout=15"],
  async run(ctx) {
    const peers: AdversaryPeer[] = [];
    await inParallel(CONNECTIONS, 4, async (i) => {
      try {
        peers.push(await ctx.connect(ctx.address(i + 1)));
      } catch (e) {
        ctx.log(`connection ${i}: ${(e as Error).message}`);
      }
    });
    // Nothing is sent: the first "message" is the TCP connection itself (the runner notes it).
    await Promise.race([Promise.all(peers.map((p) => p.closed)), ctx.sleep(35_000)]);
    const closedByNode = peers.filter((p) => !p.isOpen).length;
    for (const p of peers) p.close();
    return { messages: 0, connections: peers.length, notes: `${closedByNode} closed by the node` };
  },
};
