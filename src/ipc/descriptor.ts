// The IPC extractor as the CLI sees it: its options, its discovery check, its factory.
import fs from "node:fs";
import { defineOptions, pathOrDefault } from "../config/options.js";
import { onOff, pathString, wholeNumber } from "../config/values.js";
import { PAYLOAD_OPTIONS } from "../codecs/p2p/options.js";
import { POLLER_OPTIONS } from "../codecs/jsonrpc/options.js";
import { errCode, runningNodeBinary } from "../sources/discover.js";
import { defineSource, type SourceConfig } from "../sources/types.js";

export const IPC_OPTIONS = defineOptions({
  ipcSocket: { flag: "ipc-socket", arg: "path", description: "bitcoin-node's -ipcbind=unix socket", defaultText: "<datadir>/<chain>/node.sock", schema: pathString.optional() },
  ipcMaxMessageBytes: {
    flag: "ipc-max-message-bytes",
    arg: "n",
    description: "largest IPC message accepted from the node",
    defaultText: "67108864",
    schema: wholeNumber(1024, 1 << 30).default(64 * 1024 * 1024),
  },
  ...POLLER_OPTIONS,
  ...PAYLOAD_OPTIONS,
  // Net-message tracing (patched nodes): NetMessageTraceOptions, see docs/ipc.md.
  ipcTrace: {
    flag: "ipc-trace",
    arg: "on|off",
    description: "subscribe to the node's net-message tracing interface when it serves one (patched nodes)",
    defaultText: "on",
    schema: onOff.default(true),
  },
  ipcTraceQueueEvents: {
    flag: "ipc-trace-queue-events",
    arg: "n",
    description: "messages the node queues for peerwatch before it drops them (maxQueueEvents)",
    defaultText: "65536",
    schema: wholeNumber(1, 0xffffffff).default(65536),
  },
  ipcTraceBatchEvents: {
    flag: "ipc-trace-batch-events",
    arg: "n",
    description: "most messages per batch the node sends (maxBatchEvents)",
    defaultText: "1024",
    schema: wholeNumber(1, 0xffffffff).default(1024),
  },
  ipcTraceBatchWaitUs: {
    flag: "ipc-trace-batch-wait-us",
    arg: "us",
    description: "how long the node waits to fill a batch, in microseconds (maxBatchWaitUs)",
    defaultText: "1000",
    schema: wholeNumber(0, 0xffffffff).default(1000),
  },
});

export type IpcConfig = SourceConfig<typeof IPC_OPTIONS>;

/** The socket to connect to: --ipc-socket, or node.sock in the chain directory. */
export function ipcSocketPath(c: IpcConfig): string {
  return pathOrDefault(c.ipcSocket, c, "node.sock");
}

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
        return { ok: false, reason: `no IPC socket at ${socket}: the running node (PID ${running.pid}) is ${running.binary}, not bitcoin-node, and this node's implementation serves no IPC interface (in Bitcoin Core only the multiprocess bitcoin-node does, with -ipcbind=unix)` };
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
