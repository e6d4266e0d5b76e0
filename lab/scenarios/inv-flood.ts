// inv flood: one peer announces 50,000 transactions nobody has (1000 inv messages of 50 random
// txids) and never delivers one when the node asks.
// Imitates: InvDoS (CVE-2018-17145, Fuller and Khan 2020: inventory floods exhaust memory in
// Bitcoin Core < 0.16.1 and btcd); Core now caps what it tracks per peer at
// MAX_PEER_TX_ANNOUNCEMENTS 5000 and requests at MAX_PEER_TX_REQUEST_IN_FLIGHT 100
// (node/txdownloadman.h), MAX_INV_SZ 50,000 per message.
import { randomBytes } from "node:crypto";
import { MSG_TX, invPayload } from "../adversary/payloads.js";
import { DEFAULT_LATENCY_SECONDS, type Scenario } from "../scenario.js";

const MESSAGES = 1000;
const PER_MESSAGE = 50;

export const invFlood: Scenario = {
  name: "inv-flood",
  kind: "attack",
  summary: `one peer sends ${MESSAGES} inv messages of ${PER_MESSAGE} unknown txids and ignores the node's getdata`,
  imitates: "InvDoS, CVE-2018-17145; MAX_PEER_TX_ANNOUNCEMENTS 5000 and MAX_INV_SZ 50,000 (Bitcoin Core)",
  detectWith: ["inv-spam"],
  maxLatencySeconds: DEFAULT_LATENCY_SECONDS,
  maxSeconds: 60,
  async run(ctx) {
    const p = await ctx.connect(ctx.address(1));
    if (!(await p.handshake({ relay: true }))) return { messages: p.sent, connections: 1, notes: "handshake failed" };
    let getdata = 0;
    p.on("getdata", () => getdata++);
    for (let i = 0; i < MESSAGES && p.isOpen; i++) {
      await p.send("inv", invPayload(Array.from({ length: PER_MESSAGE }, () => ({ type: MSG_TX, hash: randomBytes(32) }))));
      if (i % 50 === 49) await ctx.sleep(500);
    }
    await ctx.sleep(5000);
    p.close();
    return { messages: p.sent, connections: 1, notes: `node sent ${getdata} getdata` };
  },
};
