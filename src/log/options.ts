// The log source's rows of the option table.
import { z } from "zod";
import { defineOptions } from "../config/options.js";
import { pathString } from "../config/values.js";
import type { SourceConfig } from "../sources/types.js";

export const LOG_OPTIONS = defineOptions({
  logFile: {
    flag: "log-file",
    arg: "path",
    description: "the node's debug.log, or a named pipe it logs to, for the log source",
    defaultText: "<datadir>/<chain>/debug.log",
    schema: pathString.optional(),
  },
  logState: {
    flag: "log-state",
    arg: "file|off",
    description: "where the log source keeps its position, so a restart neither repeats nor skips lines; off keeps none",
    defaultText: "~/.local/state/peerwatch/log-<node name>-<chain>.json",
    schema: pathString.optional(),
  },
  logFrom: {
    flag: "log-from",
    arg: "end|start",
    description: "where the log source begins in a log it has no saved position for",
    defaultText: "end",
    schema: z.enum(["end", "start"], { message: "expected end or start" }).default("end"),
  },
});

export type LogConfig = SourceConfig<typeof LOG_OPTIONS>;
