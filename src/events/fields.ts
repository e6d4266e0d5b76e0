// Reusable, bounded field schemas for the event model. Bounds keep a hostile or broken input from
// making us hold arbitrarily large strings; they are generous for what Bitcoin Core really sends.
import { z } from "zod";

/** A 32-byte hash or txid in display order (the way Bitcoin Core's RPC and explorers print it). */
export const hash256Hex = z.string().regex(/^[0-9a-f]{64}$/, "expected 64 lowercase hex characters (a 32-byte hash in display order)");

/** A hash in internal byte order (tracepoints, IPC) → display hex (reversed, as RPC prints it). */
export function displayHex(internal: Uint8Array): string {
  return Buffer.from(internal).reverse().toString("hex");
}

/** Bitcoin Core's peer ids are int64 counters starting at 0; JSON numbers are safe up to 2^53. */
export const peerId = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** `host:port`, `[ipv6]:port`, a Tor v3 / I2P / CJDNS address with port: at most ~80 bytes in practice. */
export const peerAddr = z.string().max(256);

/** Connection types as Bitcoin Core names them (net:* tracepoints, getpeerinfo's connection_type). */
export const connType = z.string().max(32);

/** P2P message types are at most 12 bytes on the wire; the tracepoint allows 20. */
export const msgType = z.string().max(32);

export const nonNegInt = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
export const int = z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);

/** Network names as getpeerinfo prints them, in Bitcoin Core's `enum Network` order (the net:* tracepoints pass the number). */
export const networkName = z.enum(["not_publicly_routable", "ipv4", "ipv6", "onion", "i2p", "cjdns", "internal"]);
export type NetworkName = z.infer<typeof networkName>;

/** Bitcoin Core's `enum Network` order (netaddress.h), as the net:* tracepoints pass it: the enum above is in that order. */
export const NETWORK_BY_NUMBER: readonly NetworkName[] = networkName.options;

/** Lower-case hex of raw bytes, bounded to the 4 MB P2P message limit. */
export const bytesHex = z
  .string()
  .max(8_000_000)
  .regex(/^(?:[0-9a-f]{2})*$/, "expected lowercase hex, two characters per byte");

/** Free text from a node or a tool (reasons, details): bounded so a runaway string cannot grow memory. */
export const text = (max = 1024) => z.string().max(max);
