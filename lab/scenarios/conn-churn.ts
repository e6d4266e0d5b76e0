// Connection churn from one range: 240 connections from one /24, each completes the version
// handshake and leaves at once, about eight a second.
// Imitates: LinkingLion (b10c, "LinkingLion: An entity linking Bitcoin transactions to IPs?",
// 2023): hosts in a few /24s (AS54098) open connections to every reachable node, handshake,
// and disconnect, thousands of times a day. The range is data/iplists' linkinglion.txt in reality;
// here 127.0.x.0/24, which no list names, so only the churn itself can give it away.
import { inParallel, DEFAULT_LATENCY_SECONDS, type Scenario } from "../scenario.js";

const CONNECTIONS = 240;

export const connChurn: Scenario = {
  name: "conn-churn",
  kind: "attack",
  summary: `${CONNECTIONS} connections from one /24: version, verack, leave; about 8 a second`,
  imitates: "LinkingLion (b10c 2023): connect, handshake, disconnect, many per second from a few /24s",
  detectWith: ["inbound-churn"],
  maxLatencySeconds: DEFAULT_LATENCY_SECONDS,
  maxSeconds: 60,
  async run(ctx) {
    let sent = 0;
    let done = 0;
    await inParallel(CONNECTIONS, 4, async (i) => {
      if (ctx.signal.aborted) return;
      const started = Date.now();
      try {
        const p = await ctx.connect(ctx.address(i % 254));
        if (await p.handshake({ userAgent: "/Satoshi:26.0.0/" }, 5000)) done++;
        sent += p.sent;
        p.close();
      } catch (e) {
        ctx.log(`connection ${i}: ${(e as Error).message}`);
      }
      await ctx.sleep(Math.max(0, 500 - (Date.now() - started)));
    });
    return { messages: sent, connections: CONNECTIONS, notes: `${done} handshakes completed` };
  },
};
