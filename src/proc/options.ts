// The /proc source's rows of the option table and the config they make: shared by the descriptor
// (which names the source) and the source (which runs it), so neither imports the other.
import { defineOptions } from "../config/options.js";
import { seconds } from "../config/values.js";
import type { SourceConfig } from "../sources/types.js";

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
