// The P2P pinger's rows of the option table and the config they make: shared by the descriptor
// (which names the source) and the source (which runs it), so neither imports the other.
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { CHAIN_PARAMS } from "../config/chains.js";
import { defineOptions } from "../config/options.js";
import { hostMaybePort, hostPort, seconds, type HostPort } from "../config/values.js";
import { findRunningNode } from "../sources/discover.js";
import type { SourceConfig } from "../sources/types.js";

export const P2P_OPTIONS = defineOptions({
  p2p: {
    flag: "p2p",
    arg: "host:port",
    description:
      "connect the P2P pinger to the node; a bare host uses the chain's P2P port (8333, 48333, 38333, 18444). `--no-p2p` (or `off`) turns the pinger off",
    defaultText: "127.0.0.1:<port> when a node is found",
    // commander gives false for --no-p2p; env and file say "off".
    schema: z.union([z.literal(false).transform(() => "off" as const), z.literal("off"), hostMaybePort]).optional(),
    negatable: "do not start the P2P pinger, even when a node is found",
  },
  p2pListen: { flag: "p2p-listen", arg: "host:port", description: "listen for the node (started with -addnode=<host:port>)", schema: hostPort.optional() },
  pingInterval: { flag: "ping-interval", arg: "seconds", description: "how often the P2P pinger pings", defaultText: "10", schema: seconds(3600).default(10) },
});

export type P2pConfig = SourceConfig<typeof P2P_OPTIONS>;

/** True when a node runs in this datadir: a live PID, or the RPC cookie it writes while it runs. */
export function nodeFound(c: P2pConfig): string | undefined {
  const node = findRunningNode(c);
  if (node.pid !== undefined) return `PID ${node.pid}`;
  const cookie = path.join(c.chainDir, ".cookie");
  return fs.existsSync(cookie) ? cookie : undefined;
}

/** Where to connect: --p2p (port from the chain when bare), else the local node's P2P port in auto mode. */
export function p2pTarget(c: P2pConfig): HostPort | undefined {
  const port = CHAIN_PARAMS[c.chain].p2pPort;
  if (c.p2p === "off") return undefined;
  if (c.p2p) return { host: c.p2p.host, port: c.p2p.port || port };
  return nodeFound(c) ? { host: "127.0.0.1", port } : undefined;
}
