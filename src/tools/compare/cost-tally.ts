// What watching costs: CPU seconds per second of the node's threads, of peerwatch itself and of
// bpftrace, from threads.snapshot events (the first and last sample of each process bound the
// window). Per node thread name, so a user sees which source loads which thread: b-msghand carries
// the tracepoints' cost, b-capnp-loop and b-nettrace IPC's, b-httpworker.* HTTP RPC's.
import type { PeerwatchEvent } from "../../events/index.js";
import type { CostReport, ProcessCost } from "./report.js";

type Role = "node" | "peerwatch" | "bpftrace";
interface Sample {
  ts: number;
  threads: Map<number, { name: string; cpu: number }>;
}
const MAX_PROCESSES = 1000;

/** A pool's numbered threads as one line: b-httpworker.3 → b-httpworker.*, b-http.01 → b-http.*. */
export function threadGroup(name: string): string {
  return name.replace(/\.\d+$/, ".*");
}

export class CostTally {
  /** role → pid → first and last sample. */
  private readonly procs = new Map<Role, Map<number, { first: Sample; last: Sample }>>();

  add(e: PeerwatchEvent): void {
    if (e.type !== "threads.snapshot") return;
    const role = e.data.role ?? "node";
    let byPid = this.procs.get(role);
    if (!byPid) this.procs.set(role, (byPid = new Map()));
    const sample: Sample = { ts: e.ts, threads: new Map(e.data.threads.map((t) => [t.tid, { name: t.name, cpu: t.userSeconds + t.systemSeconds }])) };
    const had = byPid.get(e.data.pid);
    if (had) had.last = sample;
    else if (byPid.size < MAX_PROCESSES) byPid.set(e.data.pid, { first: sample, last: sample });
  }

  report(): CostReport {
    const node = this.cost("node");
    return { peerwatch: this.cost("peerwatch").cost, bpftrace: this.cost("bpftrace").cost, node: { ...node.cost, threads: node.threads } };
  }

  private cost(role: Role): { cost: ProcessCost; threads: Record<string, number> } {
    const byPid = this.procs.get(role);
    if (!byPid) return { cost: { cpuPerSecond: null, seconds: 0 }, threads: {} };
    let start = Infinity;
    let end = -Infinity;
    let cpu = 0;
    const perThread = new Map<string, number>();
    for (const { first, last } of byPid.values()) {
      start = Math.min(start, first.ts);
      end = Math.max(end, last.ts);
      for (const [tid, t] of last.threads) {
        // A thread started after the first sample used all its CPU inside the window.
        const d = Math.max(0, t.cpu - (first.threads.get(tid)?.cpu ?? 0));
        cpu += d;
        const g = threadGroup(t.name);
        perThread.set(g, (perThread.get(g) ?? 0) + d);
      }
    }
    const seconds = (end - start) / 1e6;
    if (!(seconds > 0)) return { cost: { cpuPerSecond: null, seconds: 0 }, threads: {} };
    const rate = (x: number) => Math.round((x / seconds) * 10000) / 10000;
    const threads = Object.fromEntries([...perThread].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([n, c]) => [n, rate(c)]));
    return { cost: { cpuPerSecond: rate(cpu), seconds: Math.round(seconds * 1000) / 1000 }, threads };
  }
}
