// Where the log is and where the follower keeps its position.
import os from "node:os";
import path from "node:path";
import type { ObserveConfig } from "../config/schema.js";

function expandHome(p: string): string {
  return p === "~" || p.startsWith("~/") ? path.join(os.homedir(), p.slice(1)) : p;
}

/** --log-file, else the node's default: debug.log in the chain directory. */
export function logPath(c: ObserveConfig): string {
  return c.logFile ? path.resolve(expandHome(c.logFile)) : path.join(c.chainDir, "debug.log");
}

/** --log-state, "off" for none, else one file per watched node and chain under the XDG state directory. */
export function logStatePath(c: ObserveConfig, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (c.logState === "off") return undefined;
  if (c.logState) return path.resolve(expandHome(c.logState));
  const stateHome = env.XDG_STATE_HOME || path.join(os.homedir(), ".local", "state");
  return path.join(stateHome, "peerwatch", `log-${c.nodeName}-${c.chain}.json`);
}
