// The /proc thread-CPU source as the CLI sees it: its options, its discovery check, its factory.
import { findRunningNode } from "../sources/discover.js";
import { defineSource } from "../sources/types.js";
import { PROC_OPTIONS } from "./options.js";

export const procDescriptor = defineSource({
  name: "proc",
  summary: "the node's per-thread CPU time from /proc",
  options: PROC_OPTIONS,
  check(c) {
    const node = findRunningNode(c);
    return node.pid === undefined ? { ok: false, reason: node.why } : { ok: true, detail: `PID ${node.pid} (from ${node.from})` };
  },
  create: async () => new (await import("./proc-source.js")).ProcSource(),
});
