// CPU samples for `peerwatch compare`'s cost report: the node's threads, peerwatch's own, and those
// of the bpftrace processes peerwatch started (its children named bpftrace). Same /proc reading
// as the proc source; each sample becomes a threads.snapshot with its role.
import fs from "node:fs";
import path from "node:path";
import { readThreads, type ThreadStat } from "./thread-stats.js";

export interface ProcessSample {
  role: "node" | "peerwatch" | "bpftrace";
  pid: number;
  threads: ThreadStat[];
}

/** Parent PID and name from a /proc/<pid>/stat line (fields counted from the last ')'). */
export function parentAndName(statLine: string): { ppid: number; name: string } | undefined {
  const open = statLine.indexOf("(");
  const close = statLine.lastIndexOf(")");
  if (open <= 0 || close < open) return undefined;
  const ppid = Number(statLine.slice(close + 2).split(" ")[1]);
  return Number.isInteger(ppid) ? { ppid, name: statLine.slice(open + 1, close) } : undefined;
}

/** PIDs of the children of `parent` whose name is `name`. */
export function childrenNamed(parent: number, name: string, procRoot = "/proc"): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync(procRoot)) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const p = parentAndName(fs.readFileSync(path.join(procRoot, entry, "stat"), "utf8"));
      if (p && p.ppid === parent && p.name === name) out.push(Number(entry));
    } catch {
      /* the process ended between readdir and read */
    }
  }
  return out;
}

/** peerwatch itself, the bpftrace it runs, and the node when its PID is known; a process gone mid-read is left out. */
export function sampleProcesses(nodePid: number | undefined, self = process.pid, procRoot = "/proc"): ProcessSample[] {
  const want: { role: ProcessSample["role"]; pid: number }[] = [
    { role: "peerwatch", pid: self },
    ...childrenNamed(self, "bpftrace", procRoot).map((pid) => ({ role: "bpftrace" as const, pid })),
    ...(nodePid !== undefined ? [{ role: "node" as const, pid: nodePid }] : []),
  ];
  const out: ProcessSample[] = [];
  for (const w of want) {
    try {
      out.push({ ...w, threads: readThreads(w.pid, procRoot) });
    } catch {
      /* gone */
    }
  }
  return out;
}
