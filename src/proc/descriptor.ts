// The /proc thread-CPU extractor as the CLI sees it: its options, its discovery check, its factory.
import { defineOptions } from "../config/options.js";
import { seconds } from "../config/values.js";
import { findRunningNode } from "../sources/discover.js";
import { defineSource, type SourceConfig } from "../sources/types.js";

export const PROC_OPTIONS = defineOptions({
  procInterval: {
    flag: "proc-interval",
    arg: "seconds",
    description: "how often the node's per-thread CPU time is read from /proc",
    defaultText: "10",
    schema: seconds(86400).default(10),
  },
});

export type ProcConfig = SourceConfig<typeof PROC_OPTIONS>;

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
