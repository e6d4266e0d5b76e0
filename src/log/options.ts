// The log source's settings: its rows of the option table and their zod schemas. The config module
// splices both in (one place to move them to when options live with their extractor).
import { z } from "zod";
import type { OptionSpec } from "../config/options.js";

export const LOG_OPTIONS: readonly OptionSpec[] = [
  { key: "logFile", flag: "log-file", arg: "path", description: "the node's debug.log, or a named pipe it logs to", defaultText: "<datadir>/<chain>/debug.log" },
  { key: "logState", flag: "log-state", arg: "file|off", description: "where the log source keeps its position, so a restart neither repeats nor skips lines", defaultText: "~/.local/state/peerwatch/log-<node name>-<chain>.json" },
  { key: "logFrom", flag: "log-from", arg: "end|start", description: "where the log source begins in a log it has no saved position for", defaultText: "end" },
];

const pathString = z.string().min(1, "must not be empty").max(4096);

export const LOG_SETTINGS = {
  logFile: pathString.optional(),
  logState: pathString.optional(),
  logFrom: z.enum(["end", "start"], { message: "expected end or start" }).default("end"),
};
