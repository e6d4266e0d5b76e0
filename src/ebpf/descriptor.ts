// The eBPF source as the CLI sees it: its options, its discovery check, its factory.
import fs from "node:fs";
import { findRunningNode, which } from "../sources/discover.js";
import { defineSource } from "../sources/types.js";
import { EBPF_OPTIONS, nodeBinary } from "./options.js";

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
