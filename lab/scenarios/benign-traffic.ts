// Benign: ordinary traffic. An honest Bitcoin Core peer (a second lab node) is connected; the lab
// submits a transaction every 2 s, a BIP125 replacement every 10 s, and a block is mined every
// 20 s, alternately by the watched node and by the peer (so blocks also arrive over P2P).
// Imitates: a quiet mainnet node's day in miniature (blocks, mempool, RBF); nothing here may raise
// a warning.
import { OP_TRUE_SCRIPT, P2WSH_OP_TRUE, ADDRESS_P2WSH_OP_TRUE, buildTx } from "../adversary/payloads.js";
import type { Scenario, ScenarioContext } from "../scenario.js";
import type { LabNode } from "../node.js";

const SECONDS = 60;

export async function spendOne(ctx: ScenarioContext, fee = 2_000n): Promise<void> {
  const coin = ctx.takeCoin();
  const tx = buildTx([{ txid: coin.txid, vout: coin.vout, witness: [OP_TRUE_SCRIPT] }], [{ value: coin.value - fee, script: P2WSH_OP_TRUE }]);
  await ctx.node.call("sendrawtransaction", [tx.hex]).catch((e: Error) => ctx.log(`sendrawtransaction: ${e.message}`));
}

/** Waits (bounded, 60 s) until `other` has the watched node's tip; false if it did not get there. */
export async function waitSynced(ctx: ScenarioContext, other: LabNode): Promise<boolean> {
  const want = (await ctx.node.call("getbestblockhash")) as string;
  for (let t = 0; t < 120 && !ctx.signal.aborted; t++) {
    if ((await other.call("getbestblockhash")) === want) return true;
    await ctx.sleep(500);
  }
  return false;
}

export const benignTraffic: Scenario = {
  name: "benign-traffic",
  kind: "benign",
  summary: `${SECONDS} s of ordinary traffic with an honest peer: a tx every 2 s, an RBF replacement every 10 s, a block every 20 s`,
  imitates: "ordinary relay of blocks and transactions, BIP125 replace-by-fee",
  detectWith: [],
  maxLatencySeconds: 0,
  maxSeconds: SECONDS + 60,
  async run(ctx) {
    const peer = ctx.extraNode(0, [`-connect=127.0.0.1:${ctx.target.port}`]);
    await peer.start();
    if (!(await waitSynced(ctx, peer))) ctx.log("the honest peer did not sync within 60 s");
    let txs = 0;
    let blocks = 0;
    for (let t = 0; t < SECONDS / 2 && !ctx.signal.aborted; t++) {
      await spendOne(ctx);
      txs++;
      if (t % 5 === 2) {
        // BIP125: the same coin, first at 1000 sat, then at 3000 sat.
        const coin = ctx.takeCoin();
        const a = buildTx([{ txid: coin.txid, vout: coin.vout, witness: [OP_TRUE_SCRIPT] }], [{ value: coin.value - 1_000n, script: P2WSH_OP_TRUE }]);
        const b = buildTx([{ txid: coin.txid, vout: coin.vout, witness: [OP_TRUE_SCRIPT] }], [{ value: coin.value - 3_000n, script: P2WSH_OP_TRUE }]);
        await ctx.node.call("sendrawtransaction", [a.hex]).catch((e: Error) => ctx.log(`rbf original: ${e.message}`));
        await ctx.sleep(500);
        await ctx.node.call("sendrawtransaction", [b.hex]).catch((e: Error) => ctx.log(`rbf replacement: ${e.message}`));
        txs += 2;
      }
      if (t % 10 === 9) {
        await (blocks % 2 === 0 ? ctx.node : peer).call("generatetoaddress", [1, ADDRESS_P2WSH_OP_TRUE]);
        blocks++;
      }
      await ctx.sleep(2000);
    }
    return { messages: 0, connections: 1, notes: `${txs} transactions, ${blocks} blocks` };
  },
};
