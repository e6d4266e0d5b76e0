// Where the log is and where the follower keeps its position.
import os from "node:os";
import path from "node:path";
import { expandHome, pathOrDefault } from "../config/options.js";
import type { LogConfig } from "./options.js";

/** --log-file, else the node's default: debug.log in the chain directory. */
export function logPath(c: LogConfig): string {
  return pathOrDefault(c.logFile, c, "debug.log");
}

/** --log-state, "off" for none, else one file per watched node and chain under the XDG state directory. */
export function logStatePath(c: LogConfig, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (c.logState === "off") return undefined;
  if (c.logState) return path.resolve(expandHome(c.logState));
  const stateHome = env.XDG_STATE_HOME || path.join(os.homedir(), ".local", "state");
  return path.join(stateHome, "peerwatch", `log-${c.nodeName}-${c.chain}.json`);
}
