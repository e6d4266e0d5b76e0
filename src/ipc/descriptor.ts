// The IPC source as the CLI sees it: its options, its discovery check, its factory.
import fs from "node:fs";
import { runningNodeBinary, errCode } from "../sources/discover.js";
import { defineSource } from "../sources/types.js";
import { IPC_OPTIONS, ipcSocketPath } from "./options.js";

export const ipcDescriptor = defineSource({
  name: "ipc",
  summary: "Cap'n Proto client of bitcoin-node -ipcbind=unix: tip pushes, RPC over IPC, net-message tracing on nodes that serve it",
  options: IPC_OPTIONS,
  check(c) {
    const socket = ipcSocketPath(c);
    let st: fs.Stats;
    try {
      st = fs.statSync(socket);
    } catch (e) {
      // Asked for by name: start anyway and keep retrying, the node may be starting or restarting.
      if (c.sources !== "auto" || c.ipcSocket !== undefined) return { ok: true, detail: `waiting for ${socket}` };
      const running = runningNodeBinary(c);
      if (running?.multiprocess === false) {
        // bitcoind (Bitcoin Core's or Knots') cannot serve IPC: advising -ipcbind would mislead.
        return {
          ok: false,
          reason:
            `no IPC socket at ${socket}: the running node (PID ${running.pid}) is ${running.binary}, not bitcoin-node, and this node's implementation ` +
            `serves no IPC interface (in Bitcoin Core only the multiprocess bitcoin-node does, with -ipcbind=unix)`,
        };
      }
      return { ok: false, reason: `no IPC socket at ${socket} (${errCode(e)}): start bitcoin-node with -ipcbind=unix, or pass --ipc-socket` };
    }
    if (!st.isSocket()) return { ok: false, reason: `${socket} exists but is not a unix socket` };
    try {
      fs.accessSync(socket, fs.constants.R_OK | fs.constants.W_OK);
    } catch {
      return { ok: false, reason: `no permission to open ${socket}: it is private to the node's user (run as that user or root)` };
    }
    return { ok: true, detail: `socket ${socket}` };
  },
  create: async () => new (await import("./ipc-source.js")).IpcSource(),
});
