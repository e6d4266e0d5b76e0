// The P2P pinger as the CLI sees it: its options, its discovery check, its factory.
import { defineSource } from "../sources/types.js";
import { P2P_OPTIONS, nodeFound, p2pTarget } from "./options.js";

export const p2pDescriptor = defineSource({
  name: "p2p",
  summary: "a P2P connection of its own: times pings to measure the node's message-handling backlog",
  options: P2P_OPTIONS,
  check(c) {
    if (c.p2pListen) return { ok: true, detail: `listen on ${c.p2pListen.host}:${c.p2pListen.port}` };
    if (c.p2p === "off") return { ok: false, reason: "turned off (--no-p2p)" };
    const target = p2pTarget(c);
    if (target) return { ok: true, detail: `connect to ${target.host}:${target.port}${c.p2p ? "" : ` (a node runs here: ${nodeFound(c)})`}` };
    return { ok: false, reason: "no --p2p or --p2p-listen given, and no running node found in the datadir" };
  },
  create: async () => new (await import("./p2p-source.js")).P2pSource(),
});
