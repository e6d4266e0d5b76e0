// Block stalling: 6 peers each announce a valid header on the tip (a block of their own, proof of
// work and all) and never deliver the block when the node asks for it; held for 35 s.
// Imitates: Gervais et al., "Tampering with the Delivery of Blocks and Transactions in Bitcoin"
// (CCS 2015); Bitcoin Core's answers: BLOCK_STALLING_TIMEOUT_DEFAULT 2 s (only while the download
// window is stuck, i.e. in IBD) and BLOCK_DOWNLOAD_TIMEOUT_BASE of one block interval (10 min on
// every chain, regtest included) before a peer that does not deliver is dropped.
import { buildHeader, headersPayload } from "../adversary/payloads.js";
import { inParallel, DEFAULT_LATENCY_SECONDS, type Scenario } from "../scenario.js";
import type { AdversaryPeer } from "../adversary/peer.js";

const PEERS = 6;

export const blockStall: Scenario = {
  name: "block-stall",
  kind: "attack",
  summary: `${PEERS} peers announce a valid header on the tip and never deliver the block`,
  imitates: "Gervais et al. CCS 2015 (block delivery tampering); BLOCK_DOWNLOAD_TIMEOUT_BASE (one block interval) and BLOCK_STALLING_TIMEOUT_DEFAULT 2 s",
  detectWith: ["block-stalling"],
  maxLatencySeconds: DEFAULT_LATENCY_SECONDS,
  maxSeconds: 70,
  async run(ctx) {
    const tipHash = (await ctx.node.call("getbestblockhash")) as string;
    const tip = (await ctx.node.call("getblockheader", [tipHash])) as { time: number };
    const peers: AdversaryPeer[] = [];
    let asked = 0;
    await inParallel(PEERS, 3, async (i) => {
      try {
        const p = await ctx.connect(ctx.address(i + 1));
        if (!(await p.handshake({ startHeight: 1_000 }, 5000))) return p.close();
        p.on("getdata", () => asked++);
        await p.send("headers", headersPayload([buildHeader(tipHash, tip.time + 1 + i, true).bytes]));
        peers.push(p);
      } catch (e) {
        ctx.log(`peer ${i}: ${(e as Error).message}`);
      }
    });
    await ctx.sleep(35_000);
    let sent = 0;
    for (const p of peers) {
      sent += p.sent;
      p.close();
    }
    return { messages: sent, connections: PEERS, notes: `node sent ${asked} getdata for the announced blocks` };
  },
};
