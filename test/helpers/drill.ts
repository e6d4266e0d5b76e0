// What the fault drills share: matching a source's status events, finding peerwatch's child
// processes (bpftrace) to kill them, and telling a process warning from ordinary log output.
import fs from "node:fs";
import type { PeerwatchEvent } from "../../src/events/index.js";
import type { LiveCli } from "./cli.js";

/** A source.status event of this source, in this state. */
export const statusIs =
  (source: string, state: "up" | "down" | "degraded") =>
  (e: PeerwatchEvent): boolean =>
    e.type === "source.status" && e.data.source === source && e.data.state === state;

/** The detail of a source.status event. */
export const detailOf = (e: PeerwatchEvent): string => (e.data as { detail: string }).detail;

/** The processes whose parent is `pid` (read from /proc/<pid>/stat of every process), with their command names. */
export function childProcesses(pid: number): { pid: number; comm: string }[] {
  const out: { pid: number; comm: string }[] = [];
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue; // ended between readdir and read
    }
    // "pid (comm) state ppid …": the name may hold spaces and parentheses, so count from the last ')'.
    const close = stat.lastIndexOf(")");
    const ppid = Number(stat.slice(close + 2).split(" ")[1]);
    if (ppid === pid) out.push({ pid: Number(name), comm: stat.slice(stat.indexOf("(") + 1, close) });
  }
  return out;
}

/**
 * Lines of peerwatch's output that a healthy run never prints: a Node process warning
 * (MaxListenersExceededWarning, deprecations), an unhandled rejection or uncaught exception, or a
 * log line at error or fatal (pino levels 50, 60, or their names). The drills and the soak's
 * checker both use it. Lines are cut at 300 characters.
 */
export function processWarnings(output: string): string[] {
  const warning = /\(node:\d+\) .*Warning|MaxListenersExceeded|unhandled ?rejection|UnhandledPromiseRejection|uncaught exception/i;
  const found: string[] = [];
  for (const line of output.split("\n")) {
    if (!line.trim()) continue;
    let level: unknown;
    try {
      level = (JSON.parse(line) as { level?: unknown }).level;
    } catch {
      /* not a JSON log line */
    }
    if (warning.test(line) || (typeof level === "number" && level >= 50) || level === "error" || level === "fatal") found.push(line.slice(0, 300));
  }
  return found;
}

/** Outages in a row for a drill: more than Node's default of 10 listeners, so one left behind per outage shows. */
export const RESTARTS = 12;

/**
 * Takes the node away and brings it back, `times` times in a row: each time the source must say
 * down, then up again (bounded waits). Repeated so that a listener or timer left behind per
 * reconnection adds up to a MaxListenersExceededWarning, which processWarnings then finds.
 */
export async function repeatOutages(
  cli: LiveCli,
  source: string,
  times: number,
  away: () => Promise<void>,
  back: () => Promise<void>,
  ms = 30_000,
): Promise<void> {
  for (let i = 0; i < times; i++) {
    const from = cli.events.length;
    await away();
    const down = await cli.waitFor(statusIs(source, "down"), ms, from);
    await back();
    await cli.waitFor(statusIs(source, "up"), ms, cli.events.indexOf(down) + 1);
  }
}
