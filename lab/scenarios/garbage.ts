// Garbage: 24 connections, one a second, each sending one kind of malformed traffic: random bytes
// (not the v1 magic, so the node reads them as a BIP324 v2 handshake and gives up after
// MAX_GARBAGE_LEN), a message with a bad checksum, a header announcing a 5 MB payload (over
// MAX_PROTOCOL_MESSAGE_LENGTH, 4 MB), a message with another network's magic after the handshake.
// Imitates: the header checks of Bitcoin Core's V1Transport (net.cpp: "Header error: Wrong
// MessageStart", "Size too large", "Wrong checksum") and BIP324's MAX_GARBAGE_LEN 4095; fuzzers and
// scanners send exactly this on mainnet.
import { randomBytes } from "node:crypto";
import { encodeMessage } from "../../src/codecs/p2p/framing.js";
import { encodeNonce } from "../../src/codecs/p2p/messages.js";
import { DEFAULT_LATENCY_SECONDS, type Scenario } from "../scenario.js";

const CONNECTIONS = 24;
const MAINNET_MAGIC = Uint8Array.of(0xf9, 0xbe, 0xb4, 0xd9);
const KINDS = ["random-bytes", "bad-checksum", "oversized", "wrong-magic"] as const;

export const garbage: Scenario = {
  name: "garbage",
  kind: "attack",
  summary: `${CONNECTIONS} connections, one a second, each sending random bytes, a bad checksum, an oversized length or a wrong magic`,
  imitates: "Bitcoin Core V1Transport header errors (net.cpp) and BIP324 MAX_GARBAGE_LEN 4095",
  detectWith: ["protocol-garbage"],
  maxLatencySeconds: DEFAULT_LATENCY_SECONDS,
  maxSeconds: 50,
  async run(ctx) {
    let sent = 0;
    const closedByNode: Record<string, number> = {};
    for (let i = 0; i < CONNECTIONS && !ctx.signal.aborted; i++) {
      const kind = KINDS[i % KINDS.length] as (typeof KINDS)[number];
      try {
        const p = await ctx.connect(ctx.address(i + 1));
        if (kind === "random-bytes") {
          await p.sendRaw(randomBytes(4200));
        } else {
          if (!(await p.handshake({}, 5000))) ctx.log(`${kind}: handshake failed`);
          if (kind === "bad-checksum") {
            for (let k = 0; k < 5; k++) {
              const m = encodeMessage(ctx.target.magic, "ping", encodeNonce(BigInt(k)));
              m.writeUInt32LE(m.readUInt32LE(20) ^ 0xffffffff, 20);
              await p.sendRaw(m);
            }
          } else if (kind === "oversized") {
            const h = encodeMessage(ctx.target.magic, "block");
            h.writeUInt32LE(5_000_000, 16);
            await p.sendRaw(Buffer.concat([h, randomBytes(1000)]));
          } else {
            await p.sendRaw(encodeMessage(MAINNET_MAGIC, "ping", encodeNonce(1n)));
          }
        }
        await Promise.race([p.closed, ctx.sleep(1000)]);
        if (!p.isOpen) closedByNode[kind] = (closedByNode[kind] ?? 0) + 1;
        sent += p.sent;
        p.close();
      } catch (e) {
        ctx.log(`${kind}: ${(e as Error).message}`);
      }
    }
    return { messages: sent, connections: CONNECTIONS, notes: `closed by the node within 1 s: ${JSON.stringify(closedByNode)}` };
  },
};
