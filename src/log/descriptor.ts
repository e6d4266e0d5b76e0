// The log source as the CLI sees it: its options, its discovery check, its factory.
import fs from "node:fs";
import { errCode } from "../sources/discover.js";
import { defineSource } from "../sources/types.js";
import { LOG_OPTIONS } from "./options.js";
import { logPath } from "./paths.js";

export const logDescriptor = defineSource({
  name: "log",
  summary: "follows the node's debug.log (or a named pipe) and parses its lines into events",
  options: LOG_OPTIONS,
  check(c) {
    const p = logPath(c);
    try {
      const st = fs.statSync(p);
      if (!st.isFile() && !st.isFIFO()) return { ok: false, reason: `${p} is neither a file nor a named pipe` };
      fs.accessSync(p, fs.constants.R_OK);
      return { ok: true, detail: `${st.isFIFO() ? "named pipe" : "log"} ${p}` };
    } catch (e) {
      // Asked for by name: start anyway and wait for the file (the node may not have started yet).
      if (c.sources !== "auto" || c.logFile !== undefined) return { ok: true, detail: `waiting for ${p} (${errCode(e)})` };
      return { ok: false, reason: `no readable log at ${p} (${errCode(e)}): pass --log-file, or run peerwatch as a user that may read it` };
    }
  },
  create: async () => new (await import("./log-source.js")).LogSource(),
});
