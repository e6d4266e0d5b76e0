// The eBPF source's rows of the option table and the config they make: shared by the descriptor
// (which names the source) and the source (which runs it), so neither imports the other.
import { defineOptions } from "../config/options.js";
import { commaList, pathString } from "../config/values.js";
import { PAYLOAD_OPTIONS } from "../codecs/p2p/options.js";
import { processBinary } from "../sources/discover.js";
import type { SourceConfig } from "../sources/types.js";
import { DEFAULT_GROUPS, TRACEPOINT_GROUPS } from "./program.js";

export const EBPF_OPTIONS = defineOptions({
  bitcoinNodeBin: {
    flag: "bitcoin-node-bin",
    arg: "path",
    description: "the node binary (bitcoin-node or bitcoind) whose tracepoints eBPF attaches to",
    defaultText: "/proc/<pid>/exe of the running node",
    schema: pathString.optional(),
  },
  ebpfGroups: {
    flag: "ebpf-groups",
    arg: "list",
    description: "tracepoint groups eBPF attaches: net, connections, mempool, validation, utxocache (opt-in: very chatty)",
    defaultText: DEFAULT_GROUPS.join(","),
    schema: commaList(TRACEPOINT_GROUPS, "tracepoint group", { nonEmpty: true }).default([...DEFAULT_GROUPS]),
  },
  ...PAYLOAD_OPTIONS,
});

export type EbpfConfig = SourceConfig<typeof EBPF_OPTIONS>;

/** The binary to attach to: --bitcoin-node-bin, else what the node's process runs. */
export function nodeBinary(c: EbpfConfig, pid: number | undefined): { path: string; from: string } | undefined {
  if (c.bitcoinNodeBin) return { path: c.bitcoinNodeBin, from: "--bitcoin-node-bin" };
  const exe = pid === undefined ? undefined : processBinary(pid);
  return exe ? { path: exe, from: `/proc/${pid}/exe` } : undefined;
}
