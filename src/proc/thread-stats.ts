// Reads the CPU time of every thread of a process from /proc/<pid>/task/*/stat. Bitcoin Core names
// its threads (b-msghand, b-net, b-addcon, b-opencon, b-scheduler, b-capnp-loop, b-http…), so
// per-thread CPU tells where the node spends its time: b-msghand busy is the DoS signal.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

export interface ThreadStat {
  tid: number;
  name: string;
  userSeconds: number;
  systemSeconds: number;
}

let clkTck: number | undefined;
/** Clock ticks per second of /proc's utime/stime (100 on practically every Linux). */
export function clockTicks(): number {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/**
 * Parses one /proc/.../stat line. The name sits in parentheses and may itself contain spaces and
 * parentheses, so fields are counted from the last ')'. Returns undefined for a line that is not one.
 */
export function parseStat(line: string, ticks = clockTicks()): ThreadStat | undefined {
  const open = line.indexOf("(");
  const close = line.lastIndexOf(")");
  if (open <= 0 || close < open) return undefined;
  const tid = Number(line.slice(0, open).trim());
  const fields = line.slice(close + 2).split(" ");
  // After the name: state(3) ppid(4) … utime(14) stime(15): indexes 11 and 12 here.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isInteger(tid) || tid <= 0 || !Number.isFinite(utime) || !Number.isFinite(stime) || utime < 0 || stime < 0) return undefined;
  return { tid, name: line.slice(open + 1, close).slice(0, 64), userSeconds: utime / ticks, systemSeconds: stime / ticks };
}

/** Every thread of `pid`; throws ENOENT when the process is gone. Threads that vanish mid-read are skipped. */
export function readThreads(pid: number, procRoot = "/proc"): ThreadStat[] {
  const dir = path.join(procRoot, String(pid), "task");
  const out: ThreadStat[] = [];
  for (const tid of fs.readdirSync(dir)) {
    let line: string;
    try {
      line = fs.readFileSync(path.join(dir, tid, "stat"), "utf8");
    } catch {
      continue; // the thread ended between readdir and read
    }
    const s = parseStat(line.trim());
    if (s) out.push(s);
  }
  return out.sort((a, b) => a.tid - b.tid);
}
