// The log source as the CLI sees it: its name, its options, whether it can start, and how to make it.
import fs from "node:fs";
import type { ObserveConfig } from "../config/schema.js";
import type { Source } from "../sources/types.js";
import { LOG_OPTIONS } from "./options.js";
import { logPath } from "./paths.js";

export type CheckResult = { ok: true; detail: string } | { ok: false; reason: string };

/** Auto mode starts the source when the log is readable; asked for by name, it waits for the file. */
export function checkLog(c: ObserveConfig): CheckResult {
  const p = logPath(c);
  try {
    const st = fs.statSync(p);
    if (!st.isFile() && !st.isFIFO()) return { ok: false, reason: `${p} is neither a file nor a named pipe` };
    fs.accessSync(p, fs.constants.R_OK);
    return { ok: true, detail: `${st.isFIFO() ? "named pipe" : "log"} ${p}` };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    if (c.sources !== "auto" || c.logFile !== undefined) return { ok: true, detail: `waiting for ${p} (${code})` };
    return { ok: false, reason: `no readable log at ${p} (${code}): pass --log-file, or run peerwatch as a user that may read it` };
  }
}

export const descriptor = {
  name: "log" as const,
  options: LOG_OPTIONS,
  check: checkLog,
  create: async (): Promise<Source> => (await import("./log-source.js")).createLogSource(),
};
