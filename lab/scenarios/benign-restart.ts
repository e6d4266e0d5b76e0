// Benign: the node restarts. 20 s of normal running, a clean stop and start of the watched node
// (same datadir and flags), 40 s more. peerwatch's sources lose the node and find it again.
// Imitates: an operator's upgrade or config change; peerwatch must not call it an attack.
import type { Scenario } from "../scenario.js";
import { spendOne } from "./benign-traffic.js";

export const benignRestart: Scenario = {
  name: "benign-restart",
  kind: "benign",
  summary: "the watched node is stopped and started again while peerwatch watches",
  imitates: "an operator's restart (upgrade, config change)",
  detectWith: [],
  maxLatencySeconds: 0,
  maxSeconds: 180,
  async run(ctx) {
    for (let i = 0; i < 5; i++) {
      await spendOne(ctx);
      await ctx.sleep(4000);
    }
    await ctx.restartNode();
    await ctx.sleep(40_000);
    return { messages: 0, connections: 0, notes: "one restart" };
  },
};
