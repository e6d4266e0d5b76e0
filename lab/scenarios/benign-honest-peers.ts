// Benign: honest peers coming and going. Four more Bitcoin Core nodes connect to the watched
// node, two leave after 20 s and come back, then all leave.
// Imitates: ordinary peer turnover (a listening node sees inbound peers arrive and leave all day).
import type { Scenario } from "../scenario.js";
import type { LabNode } from "../node.js";

const PEERS = 4;

export const benignHonestPeers: Scenario = {
  name: "benign-honest-peers",
  kind: "benign",
  summary: `${PEERS} honest Bitcoin Core nodes connect, two restart, all leave`,
  imitates: "ordinary peer turnover",
  detectWith: [],
  maxLatencySeconds: 0,
  maxSeconds: 180,
  async run(ctx) {
    const nodes: LabNode[] = [];
    for (let i = 0; i < PEERS; i++) {
      const n = ctx.extraNode(2 + i, [`-connect=127.0.0.1:${ctx.target.port}`]);
      await n.start();
      nodes.push(n);
    }
    await ctx.sleep(20_000);
    for (const n of nodes.slice(0, 2)) await n.stop();
    await ctx.sleep(5_000);
    for (const n of nodes.slice(0, 2)) await n.start();
    await ctx.sleep(15_000);
    for (const n of nodes) await n.stop();
    await ctx.sleep(5_000);
    return { messages: 0, connections: PEERS + 2, notes: "4 peers, 2 restarts" };
  },
};
