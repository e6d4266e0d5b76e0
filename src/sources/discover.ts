// Discovery helpers the sources' checks share: finding the node's process and binary, tools on
// PATH. Nothing here connects to the node: it only looks at files, flags and privileges.
import fs from "node:fs";
import path from "node:path";
import { readBoundedFile } from "../config/bounded-file.js";

export function errCode(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? String(e);
}

/** The node's PID: --pid, else the PID file the node writes in its chain directory. */
export function findNodePid(c: { pid?: number | undefined; pidFile: string }): { pid: number; from: string } | { pid: undefined; why: string } {
  if (c.pid !== undefined) return { pid: c.pid, from: "--pid" };
  let text: string;
  try {
    text = readBoundedFile(c.pidFile, 64, "PID file");
  } catch (e) {
    return { pid: undefined, why: `no --pid and no readable PID file at ${c.pidFile} (${errCode(e)})` };
  }
  const pid = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(pid) || pid <= 0) return { pid: undefined, why: `PID file ${c.pidFile} does not hold a PID` };
  return { pid, from: c.pidFile };
}

/** Whether a process with this PID exists now. */
export function processAlive(pid: number, procRoot = "/proc"): boolean {
  return fs.existsSync(`${procRoot}/${pid}`);
}

/** A running node's PID, or why there is none. */
export function findRunningNode(c: { pid?: number | undefined; pidFile: string }): { pid: number; from: string } | { pid: undefined; why: string } {
  const found = findNodePid(c);
  if (found.pid === undefined) return found;
  if (!processAlive(found.pid)) return { pid: undefined, why: `no process with PID ${found.pid} (from ${found.from})` };
  return found;
}

/**
 * The binary a process runs, from /proc/<pid>/exe. When the file was replaced since the process
 * started (a rebuild), the link's target is gone and /proc/<pid>/exe itself still opens it.
 */
export function processBinary(pid: number, procRoot = "/proc"): string | undefined {
  const link = `${procRoot}/${pid}/exe`;
  try {
    const target = fs.readlinkSync(link);
    return target.endsWith(" (deleted)") ? link : target;
  } catch {
    return undefined;
  }
}

/** Finds an executable on PATH. */
export function which(cmd: string, envPath = process.env.PATH ?? ""): string | undefined {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/**
 * Whether the running node is the multiprocess binary: bitcoin-node (true) or bitcoind (false),
 * from the name of the binary it runs; undefined when there is no running node or another name.
 */
export function runningNodeBinary(
  c: { pid?: number | undefined; pidFile: string },
  procRoot = "/proc",
): { pid: number; binary: string; multiprocess: boolean | undefined } | undefined {
  const node = findNodePid(c);
  if (node.pid === undefined || !processAlive(node.pid, procRoot)) return undefined;
  const binary = processBinary(node.pid, procRoot);
  if (binary === undefined) return undefined;
  const name = path.basename(binary);
  return { pid: node.pid, binary, multiprocess: name === "bitcoin-node" ? true : name === "bitcoind" ? false : undefined };
}
