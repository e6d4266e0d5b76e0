// Decodes what matters for monitoring from a captured (possibly truncated) message payload:
// ping/pong nonce, feefilter rate, version fields, inv/addr/addrv2 counts. A payload that does not
// decode simply yields nothing: the message event still goes out, without `decoded`.
import type { z } from "zod";
import type { decodedPayload } from "../../events/index.js";
import { decodeAddr, decodeAddrV2, decodeFeeFilter, decodeInv, decodeVersionPrefix } from "./messages.js";

export type DecodedPayload = z.infer<typeof decodedPayload>;

/** The message types `decodePayload` reads; for any other it returns nothing (a parser may skip the bytes). */
export const DECODED_TYPES: ReadonlySet<string> = new Set(["ping", "pong", "feefilter", "version", "inv", "getdata", "notfound", "addr", "addrv2"]);

export function decodePayload(msgType: string, payload: Buffer): DecodedPayload | undefined {
  try {
    switch (msgType) {
      case "ping":
      case "pong":
        return payload.length >= 8 ? { nonce: payload.subarray(0, 8).toString("hex") } : undefined;
      case "feefilter":
        return payload.length >= 8 ? { feeRateSatVb: decodeFeeFilter(payload.subarray(0, 8)) } : undefined;
      case "version": {
        const v = decodeVersionPrefix(payload);
        if (v.version === undefined) return undefined;
        return {
          version: {
            version: v.version,
            ...(v.services !== undefined ? { services: v.services.toString(16).padStart(16, "0") } : {}),
            ...(v.userAgent !== undefined ? { userAgent: v.userAgent } : {}),
            ...(v.startHeight !== undefined ? { startHeight: v.startHeight } : {}),
            ...(v.relay !== undefined ? { relay: v.relay } : {}),
          },
        };
      }
      case "inv":
      case "getdata":
      case "notfound": {
        const inv = decodeInv(payload, true);
        return { entries: inv.count, invTypes: inv.types };
      }
      case "addr":
      case "addrv2": {
        const a = msgType === "addr" ? decodeAddr(payload, true) : decodeAddrV2(payload, true);
        return { entries: a.count, networks: a.networks };
      }
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}
