// Misbehaviour Bitcoin Core punishes: 6 peers send a header on the tip with invalid proof of work,
// 3 send a transaction with no inputs (consensus-invalid), 3 send headers that connect to nothing.
// Imitates: net_processing.cpp's Misbehaving() ("header with invalid proof of work",
// TX_CONSENSUS → MaybePunishNodeForTx) and discouragement (banman, DISCOURAGEMENT); since Core
// 27 unconnecting headers are no longer punished, only answered with getheaders. Loopback peers are
// disconnected but never discouraged (MaybeDiscourageAndDisconnect: addr.IsLocal()).
import { randomBytes } from "node:crypto";
import { P2WSH_OP_TRUE, buildHeader, buildTx, headersPayload } from "../adversary/payloads.js";
import { DEFAULT_LATENCY_SECONDS, type Scenario } from "../scenario.js";

type Kind = "invalid-pow-header" | "empty-vin-tx" | "unconnecting-headers";
const PLAN: Kind[] = [...Array<Kind>(6).fill("invalid-pow-header"), ...Array<Kind>(3).fill("empty-vin-tx"), ...Array<Kind>(3).fill("unconnecting-headers")];

export const misbehaviour: Scenario = {
  name: "misbehaviour",
  kind: "attack",
  summary: "12 peers: invalid-PoW headers on the tip, consensus-invalid transactions, unconnecting headers",
  imitates: "Bitcoin Core's Misbehaving() and discouragement (net_processing.cpp, banman); unconnecting headers unpunished since Core 27",
  detectWith: ["misbehaving-peer"],
  maxLatencySeconds: DEFAULT_LATENCY_SECONDS,
  maxSeconds: 50,
  async run(ctx) {
    const tipHash = (await ctx.node.call("getbestblockhash")) as string;
    const tip = (await ctx.node.call("getblockheader", [tipHash])) as { time: number };
    let sent = 0;
    const dropped: Record<string, number> = {};
    for (let i = 0; i < PLAN.length && !ctx.signal.aborted; i++) {
      const kind = PLAN[i] as Kind;
      try {
        const p = await ctx.connect(ctx.address(i + 1));
        if (!(await p.handshake({}, 5000))) ctx.log(`${kind}: handshake failed`);
        if (kind === "invalid-pow-header") {
          await p.send("headers", headersPayload([buildHeader(tipHash, tip.time + 1 + i, false).bytes]));
        } else if (kind === "empty-vin-tx") {
          await p.send("tx", buildTx([], [{ value: 1000n, script: P2WSH_OP_TRUE }]).bytes);
        } else {
          for (let k = 0; k < 12; k++) await p.send("headers", headersPayload([buildHeader(randomBytes(32).toString("hex"), tip.time + 1, true).bytes]));
        }
        await Promise.race([p.closed, ctx.sleep(2000)]);
        if (!p.isOpen) dropped[kind] = (dropped[kind] ?? 0) + 1;
        sent += p.sent;
        p.close();
      } catch (e) {
        ctx.log(`${kind}: ${(e as Error).message}`);
      }
    }
    return { messages: sent, connections: PLAN.length, notes: `disconnected by the node within 2 s: ${JSON.stringify(dropped)}` };
  },
};
