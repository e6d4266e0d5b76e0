// Spy peer: claims to be an old Bitcoin Core (/Satoshi:0.16.3/, protocol 70015) yet advertises
// service bits 0.16 never had (compact filters, BIP324 v2), asks getdata for every transaction the
// node announces, and announces or relays nothing itself. Meanwhile the lab makes ordinary
// transactions (RPC sendrawtransaction) so there is something to spy on.
// Imitates: transaction-origin spying (Biryukov, Khovratovich, Pustogarov, "Deanonymisation of
// clients in Bitcoin P2P network", CCS 2014; Koshy et al., "An Analysis of Anonymity in Bitcoin
// Using P2P Network Traffic", FC 2014) and LinkingLion's fake user agents (b10c 2023);
// peer-observer issue 43 asks for exactly this detector.
import { OP_TRUE_SCRIPT, P2WSH_OP_TRUE, buildTx, invEntries, MSG_TX, MSG_WTX, invPayload } from "../adversary/payloads.js";
import { NODE_COMPACT_FILTERS, NODE_NETWORK, NODE_P2P_V2, NODE_WITNESS } from "../adversary/peer.js";
import { DEFAULT_LATENCY_SECONDS, type Scenario } from "../scenario.js";

const TXS = 25;

export const spyPeer: Scenario = {
  name: "spy-peer",
  kind: "attack",
  summary: `an "old" client with impossible service bits asks for every transaction it hears of (${TXS} made meanwhile) and announces nothing`,
  imitates: "Biryukov et al. CCS 2014, Koshy et al. FC 2014 (tx-origin spying); LinkingLion's fake user agents (b10c 2023); peer-observer issue 43",
  detectWith: ["spy-peer"],
  maxLatencySeconds: DEFAULT_LATENCY_SECONDS,
  maxSeconds: 75,
  async run(ctx) {
    const p = await ctx.connect(ctx.address(1));
    const ok = await p.handshake({
      version: 70015,
      userAgent: "/Satoshi:0.16.3/",
      services: NODE_NETWORK | NODE_WITNESS | NODE_COMPACT_FILTERS | NODE_P2P_V2,
      relay: true,
    });
    if (!ok) return { messages: p.sent, connections: 1, notes: "handshake failed" };
    let asked = 0;
    let got = 0;
    p.on("inv", (m) => {
      const txs = invEntries(m.payload).filter((e) => e.type === MSG_TX || e.type === MSG_WTX);
      if (txs.length === 0) return;
      asked += txs.length;
      void p.send("getdata", invPayload(txs));
    });
    p.on("tx", () => got++);
    for (let i = 0; i < TXS && !ctx.signal.aborted; i++) {
      const coin = ctx.takeCoin();
      const tx = buildTx([{ txid: coin.txid, vout: coin.vout, witness: [OP_TRUE_SCRIPT] }], [{ value: coin.value - 2_000n, script: P2WSH_OP_TRUE }]);
      await ctx.node.call("sendrawtransaction", [tx.hex]).catch((e: Error) => ctx.log(`sendrawtransaction: ${e.message}`));
      await ctx.sleep(1000);
    }
    // Inbound peers get transaction invs every ~5 s (INBOUND_INVENTORY_BROADCAST_INTERVAL): wait for the last.
    await ctx.sleep(12_000);
    p.close();
    return { messages: p.sent, connections: 1, notes: `asked for ${asked} txs, got ${got}` };
  },
};
