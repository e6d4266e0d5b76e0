// Ping flood: one inbound peer sends 20,000 pings as fast as the node reads them.
// Imitates: Bitcoin Core pings each peer every 2 minutes (PING_INTERVAL, net_processing.cpp), so
// any peer pinging thousands of times a minute is abusing the message handler; the flood that
// docs/compare.md measured (2.5 M pings doubled b-msghand's CPU with eBPF attached).
import { randomBytes } from "node:crypto";
import { encodeNonce } from "../../src/codecs/p2p/messages.js";
import { DEFAULT_LATENCY_SECONDS, type Scenario } from "../scenario.js";

const PINGS = 20_000;

export const pingFlood: Scenario = {
  name: "ping-flood",
  kind: "attack",
  summary: `one peer sends ${PINGS} pings back to back`,
  imitates: "Bitcoin Core's PING_INTERVAL of 2 min (net_processing.cpp): about 0.5 pings a minute per peer",
  detectWith: ["ping-spam"],
  maxLatencySeconds: DEFAULT_LATENCY_SECONDS,
  maxSeconds: 60,
  async run(ctx) {
    const p = await ctx.connect(ctx.address(1));
    if (!(await p.handshake())) return { messages: p.sent, connections: 1, notes: "handshake failed" };
    let pongs = 0;
    p.on("pong", () => pongs++);
    for (let i = 0; i < PINGS && p.isOpen; i++) await p.send("ping", encodeNonce(randomBytes(8).readBigUInt64LE()));
    // Let the node answer what it read, bounded by the deadline.
    for (let t = 0; t < 100 && p.isOpen && pongs < PINGS; t++) await ctx.sleep(100);
    p.close();
    return { messages: p.sent, connections: 1, notes: `${pongs} pongs back` };
  },
};
