// addr slow drip: one peer sends small addr messages (10 entries) about six times a second for 75
// seconds: no single message is large, yet it is 600 times the rate Bitcoin Core processes.
// Imitates: MAX_ADDR_RATE_PER_SECOND = 0.1 (net_processing.cpp): an attacker staying under any
// per-message threshold to fill addrman slowly (the addrman poisoning of Heilman et al., "Eclipse
// Attacks on Bitcoin's Peer-to-Peer Network", USENIX Security 2015).
import { addrPayload } from "../adversary/payloads.js";
import type { Scenario } from "../scenario.js";

const PER_MESSAGE = 10;
const SECONDS = 75;

export const addrDrip: Scenario = {
  name: "addr-drip",
  kind: "attack",
  summary: `one peer sends addr messages of ${PER_MESSAGE} entries every 150 ms for ${SECONDS} s`,
  imitates: "MAX_ADDR_RATE_PER_SECOND 0.1 (net_processing.cpp); addrman poisoning of Heilman et al., USENIX Security 2015",
  detectWith: ["addr-spam"],
  // addr-spam needs 1000 addresses beyond Core's bucket of 1000: at ~60/s that is ~35 s in.
  maxLatencySeconds: 60,
  maxSeconds: SECONDS + 10,
  async run(ctx) {
    const p = await ctx.connect(ctx.address(1));
    if (!(await p.handshake())) return { messages: p.sent, connections: 1, notes: "handshake failed" };
    const end = Date.now() + SECONDS * 1000;
    while (Date.now() < end && p.isOpen) {
      await p.send("addr", addrPayload(PER_MESSAGE));
      await ctx.sleep(150);
    }
    p.close();
    return { messages: p.sent, connections: 1 };
  },
};
