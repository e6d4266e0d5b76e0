// The node's CPU time per thread, from threads.snapshot: a counter fed with each thread's increase
// since the previous snapshot. Thread names are bounded by stripping per-instance suffixes
// ("b-httpworker.3" → "b-httpworker").
import { Counter, type Registry } from "prom-client";
import type { PeerwatchEvent } from "../../events/index.js";
import { LabelLimiter } from "./labels.js";

export function threadLabel(name: string): string {
  return name.replace(/[.\-_]?\d+$/, "") || name;
}

export function registerThreadMetrics(registry: Registry): (e: PeerwatchEvent) => void {
  const cpu = new Counter({
    name: "peerwatch_node_thread_cpu_seconds_total",
    help: "CPU seconds (user + system) the node's threads used, by thread name; b-msghand busy is the DoS signal",
    labelNames: ["thread"] as const,
    registers: [registry],
  });
  const names = new LabelLimiter(64);
  let pid = 0;
  let last = new Map<number, number>();
  return (e) => {
    // Only the node's threads: compare also samples peerwatch's own and bpftrace's.
    if (e.type !== "threads.snapshot" || (e.data.role ?? "node") !== "node") return;
    if (e.data.pid !== pid) {
      // A new node process: its threads' totals start from zero, count them from there.
      pid = e.data.pid;
      last = new Map();
    }
    const next = new Map<number, number>();
    for (const t of e.data.threads) {
      const total = t.userSeconds + t.systemSeconds;
      next.set(t.tid, total);
      const before = last.get(t.tid) ?? 0;
      if (total > before) cpu.inc({ thread: names.label(threadLabel(t.name)) }, total - before);
    }
    last = next;
  };
}
