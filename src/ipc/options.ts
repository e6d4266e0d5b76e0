// The IPC source's rows of the option table and the config they make: shared by the descriptor
// (which names the source) and the source (which runs it), so neither imports the other.
import { defineOptions, pathOrDefault } from "../config/options.js";
import { onOff, pathString, wholeNumber } from "../config/values.js";
import { PAYLOAD_OPTIONS } from "../codecs/p2p/options.js";
import { POLLER_OPTIONS } from "../sources/rpc-poller-options.js";
import type { SourceConfig } from "../sources/types.js";

export const IPC_OPTIONS = defineOptions({
  ipcSocket: {
    flag: "ipc-socket",
    arg: "path",
    description: "bitcoin-node's -ipcbind=unix socket",
    defaultText: "<datadir>/<chain>/node.sock",
    schema: pathString.optional(),
  },
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
