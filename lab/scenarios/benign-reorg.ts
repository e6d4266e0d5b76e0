// Benign: a two-block reorg. A second lab node syncs from the watched node, goes offline, the
// watched node mines 2 blocks (with transactions) while the other mines 4, and the other comes
// back: the watched node switches to the longer chain and its 2 blocks' transactions return to
// the mempool.
// Imitates: ordinary chain reorganisations (one- and two-block reorgs happen on mainnet a few
// times a year when miners find blocks at nearly the same time).
import { ADDRESS_P2WSH_OP_TRUE } from "../adversary/payloads.js";
import type { Scenario } from "../scenario.js";
import { spendOne, waitSynced } from "./benign-traffic.js";

export const benignReorg: Scenario = {
  name: "benign-reorg",
  kind: "benign",
  summary: "a second node syncs, goes offline, outmines the watched node by 4 blocks to 2 and reconnects: a 2-block reorg",
  imitates: "ordinary 1–2 block reorganisations",
  detectWith: [],
  maxLatencySeconds: 0,
  maxSeconds: 150,
  async run(ctx) {
    const other = ctx.extraNode(1, [`-connect=127.0.0.1:${ctx.target.port}`]);
    await other.start();
    if (!(await waitSynced(ctx, other))) ctx.log("the other node did not sync within 60 s");
    await other.call("setnetworkactive", [false]);
    await ctx.sleep(3000);
    for (let b = 0; b < 2; b++) {
      await spendOne(ctx);
      await spendOne(ctx);
      await ctx.sleep(1000);
      await ctx.node.call("generatetoaddress", [1, ADDRESS_P2WSH_OP_TRUE]);
      await ctx.sleep(3000);
    }
    await other.call("generatetoaddress", [4, ADDRESS_P2WSH_OP_TRUE]);
    const theirs = (await other.call("getbestblockhash")) as string;
    await other.call("setnetworkactive", [true]);
    let reorged = false;
    for (let t = 0; t < 120 && !reorged; t++) {
      reorged = (await ctx.node.call("getbestblockhash")) === theirs;
      if (!reorged) await ctx.sleep(500);
    }
    await ctx.sleep(10_000);
    return { messages: 0, connections: 1, notes: reorged ? "the watched node reorganised onto the other chain" : "no reorg seen (bounded wait ended)" };
  },
};
