// addr flood: one peer sends 30 addr messages of 1000 random routable addresses each.
// Imitates: the 2021 addr spam wave (random addresses from many peers; Bitcoin Core 22.0 answered
// with a per-peer token bucket: MAX_ADDR_RATE_PER_SECOND 0.1, MAX_ADDR_PROCESSING_TOKEN_BUCKET
// 1000, PR #22387) with the largest message the protocol allows (MAX_ADDR_TO_SEND = 1000).
import { addrPayload } from "../adversary/payloads.js";
import { DEFAULT_LATENCY_SECONDS, type Scenario } from "../scenario.js";

const MESSAGES = 30;

export const addrFlood: Scenario = {
  name: "addr-flood",
  kind: "attack",
  summary: `one peer sends ${MESSAGES} addr messages of 1000 entries, 5 a second`,
  imitates: "the 2021 addr spam wave; MAX_ADDR_TO_SEND 1000 and the token bucket of Bitcoin Core PR #22387 (0.1 addr/s, 1000)",
  detectWith: ["addr-spam"],
  maxLatencySeconds: DEFAULT_LATENCY_SECONDS,
  maxSeconds: 40,
  async run(ctx) {
    const p = await ctx.connect(ctx.address(1));
    if (!(await p.handshake())) return { messages: p.sent, connections: 1, notes: "handshake failed" };
    for (let i = 0; i < MESSAGES && p.isOpen; i++) {
      await p.send("addr", addrPayload(1000));
      await ctx.sleep(200);
    }
    await ctx.sleep(2000);
    p.close();
    return { messages: p.sent, connections: 1 };
  },
};
