// The eBPF extractor as the CLI sees it: its options, its discovery check, its factory.
import fs from "node:fs";
import { defineOptions } from "../config/options.js";
import { commaList, pathString } from "../config/values.js";
import { PAYLOAD_OPTIONS } from "../codecs/p2p/options.js";
import { findRunningNode, processBinary, which } from "../sources/discover.js";
import { defineSource, type SourceConfig } from "../sources/types.js";
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

export const ebpfDescriptor = defineSource({
  name: "ebpf",
  summary: "bpftrace on the node's USDT tracepoints: every P2P message, connection, mempool and block event",
  options: EBPF_OPTIONS,
  check(c) {
    if (c.bitcoinNodeBin && !fs.existsSync(c.bitcoinNodeBin)) return { ok: false, reason: `--bitcoin-node-bin ${c.bitcoinNodeBin} does not exist` };
    const node = findRunningNode(c);
    if (node.pid === undefined) return { ok: false, reason: node.why };
    const bin = nodeBinary(c, node.pid);
    if (!bin) return { ok: false, reason: `cannot read /proc/${node.pid}/exe (the node's binary); pass --bitcoin-node-bin` };
    if (!which("bpftrace")) return { ok: false, reason: "bpftrace is not installed (Debian: apt-get install bpftrace)" };
    if (process.getuid?.() !== 0) return { ok: false, reason: "eBPF needs root (or CAP_BPF+CAP_PERFMON+CAP_SYS_RESOURCE)" };
    return { ok: true, detail: `${bin.path} (from ${bin.from}) PID ${node.pid}` };
  },
  create: async () => new (await import("./ebpf-source.js")).EbpfSource(),
});
