// Who the watched node is, from what it says about itself: the P2P user agent (also getnetworkinfo's
// subversion, e.g. "/Satoshi:31.99.0/" or Knots' "/Satoshi:31.99.0/Knots:20250101-abc/") or the
// log's startup line ("Bitcoin Core version v31.99.0-…", "Bitcoin Knots version v29.1.knots20250903").
// Every source that learns one of these turns it into the same `node.info` data with these helpers.
import type { z } from "zod";
import type { nodeInfo } from "./schema.js";

export type NodeInfo = z.infer<typeof nodeInfo>;

/** Knots builds switch IPC off (ENABLE_IPC OFF): no bitcoin-node, no socket. */
const NO_IPC = new Set<NodeInfo["implementation"]>(["Bitcoin Knots"]);

/** Whether this implementation can serve the multiprocess IPC interface at all. */
export function servesIpc(impl: NodeInfo["implementation"]): boolean {
  return !NO_IPC.has(impl);
}

/** Parses a BIP14 user agent: "/Name:version(comments)/Name:version/…". */
export function parseUserAgent(ua: string): NodeInfo | undefined {
  const parts = [...ua.slice(0, 256).matchAll(/\/([^/:()]{1,64}):([^/:()]{1,64})(?:\([^)]{0,128}\))?(?=\/)/g)];
  if (parts.length === 0) return undefined;
  const [first] = parts;
  const satoshi = first && first[1] === "Satoshi" ? first : undefined;
  const knots = parts.find((p) => p[1] === "Knots");
  const base = { userAgent: ua.slice(0, 256) };
  if (satoshi && knots) {
    return { ...base, implementation: "Bitcoin Knots", version: satoshi[2] as string, implementationVersion: knots[2] as string, ipcCapable: false };
  }
  if (satoshi && parts.length === 1) return { ...base, implementation: "Bitcoin Core", version: satoshi[2] as string, ipcCapable: true };
  // Another client, or Satoshi with further names we do not know: say what the first name is.
  const last = parts[parts.length - 1] as RegExpMatchArray;
  return { ...base, implementation: "other", version: `${last[1]}:${last[2]}`.slice(0, 64) };
}

/** Parses the log's first line, "<client name> version <version>" (init/common.cpp LogPackageVersion). */
export function parseVersionLine(message: string): NodeInfo | undefined {
  const m = /^(Bitcoin [A-Z][A-Za-z]{1,20}) version (v?[0-9][^\s]{0,62})(?: \(([^)]{0,40})\))?$/.exec(message.trim());
  if (!m) return undefined;
  const name = m[1] as string;
  const version = m[2] as string;
  if (name === "Bitcoin Knots" || /knots/i.test(version)) {
    const k = /^v?(\d+\.\d+(?:\.\d+)?)\.knots(\S+)$/.exec(version);
    return {
      implementation: "Bitcoin Knots",
      version: k ? (k[1] as string) : version,
      ...(k ? { implementationVersion: k[2] as string } : {}),
      userAgent: message.trim().slice(0, 256),
      ipcCapable: false,
    };
  }
  if (name === "Bitcoin Core") return { implementation: "Bitcoin Core", version, userAgent: message.trim().slice(0, 256), ipcCapable: true };
  return { implementation: "other", version, userAgent: message.trim().slice(0, 256) };
}
