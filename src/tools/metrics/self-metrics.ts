// Metrics about peerwatch itself: events seen, events lost, which sources are up. Other metric
// families (P2P, mempool, peers …) live in their own files beside this one.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { EventBus } from "../../bus/index.js";
import { KNOWN_DROPS, sourceName, type PeerwatchEvent } from "../../events/index.js";
import type { Instruments } from "../../sources/types.js";
import { collectFrom, DeferredCounts } from "./deferred-counts.js";
import { LabelLimiter } from "./labels.js";

export function registerSelfMetrics(
  registry: Registry,
  bus: EventBus,
): { handle: (e: PeerwatchEvent) => void; countRun: (source: string, type: string, n: number) => void; instruments: Instruments } {
  // Every event counts here: summed in plain numbers, handed over at scrape (deferred-counts.ts).
  let eventCounts: DeferredCounts | undefined;
  const events = new Counter({
    name: "peerwatch_events_total",
    help: "Events published on the bus, by source and type",
    labelNames: ["source", "type"] as const,
    registers: [registry],
    collect: collectFrom(() => eventCounts),
  });
  eventCounts = new DeferredCounts([events], ["source", "type"]);
  const reasons = new LabelLimiter();
  const dropped = new Counter({
    name: "peerwatch_events_dropped_total",
    help: "Events lost before reaching peerwatch or a tool, by who lost them and why",
    labelNames: ["source", "reason"] as const,
    registers: [registry],
  });
  // Known (source, reason) pairs start at 0: "no drops" reads differently from "no data".
  for (const d of KNOWN_DROPS) dropped.inc({ source: d.source, reason: reasons.label(d.reason) }, 0);
  const up = new Gauge({
    name: "peerwatch_source_up",
    help: "1 when the source is up, 0.5 when degraded, 0 when down or not started",
    labelNames: ["source"] as const,
    registers: [registry],
  });
  // Every source the event model knows starts at 0, so "never up" reads differently from "no data".
  for (const s of sourceName.options) if (s !== "peerwatch") up.set({ source: s }, 0);
  // While a recording plays (source "replay" up), the statuses in it are the recorded node's, not
  // this process's: they go here, and peerwatch_source_up{source="ipc"} stays what it is here.
  const replayed = new Gauge({
    name: "peerwatch_replayed_source_up",
    help: "While a recording is replayed, what it says of each of its sources: 1 up, 0.5 degraded, 0 down (not sources of this process)",
    labelNames: ["source"] as const,
    registers: [registry],
  });
  let replaying = false;
  new Gauge({
    name: "peerwatch_bus_queue_events",
    help: "Events waiting in each bus subscriber's queue",
    labelNames: ["subscriber"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of bus.stats().subscribers) this.set({ subscriber: s.name }, s.pending);
    },
  });
  const restarts = new Counter({
    name: "peerwatch_source_restarts_total",
    help: "Times a source went from up to down (node restarts, bpftrace exits, dropped connections)",
    labelNames: ["source"] as const,
    registers: [registry],
  });
  const alerts = new Counter({
    name: "peerwatch_alerts_total",
    help: "Alerts raised by peerwatch's heuristics, by name and severity",
    labelNames: ["name", "severity"] as const,
    registers: [registry],
  });
  const ipcCalls = new Histogram({
    name: "peerwatch_ipc_call_seconds",
    help: "Latency of IPC calls to the node, by method and outcome",
    labelNames: ["method", "outcome"] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
    registers: [registry],
  });
  const wasUp = new Map<string, boolean>();
  const handle = (e: PeerwatchEvent) => {
    eventCounts.sums(e.source, e.type)[0]! += 1;
    if (e.type === "events.dropped") {
      dropped.inc(
        { source: e.data.source.startsWith("bus:") ? e.data.source : e.data.source.slice(0, 32), reason: reasons.label(e.data.reason) },
        e.data.count,
      );
    } else if (e.type === "source.status") {
      const value = e.data.state === "up" ? 1 : e.data.state === "degraded" ? 0.5 : 0;
      if (e.data.source === "replay") replaying = e.data.state === "up";
      else if (replaying) {
        replayed.set({ source: e.data.source }, value);
        return;
      }
      up.set({ source: e.data.source }, value);
      if (e.data.state === "down" && wasUp.get(e.data.source) && e.data.detail !== "stopped") restarts.inc({ source: e.data.source });
      wasUp.set(e.data.source, e.data.state === "up");
    } else if (e.type === "alert") {
      alerts.inc({ name: e.data.name, severity: e.data.severity });
    }
  };
  const methods = new LabelLimiter(40);
  return {
    handle,
    /** n events of one source and type (a run of a batch) that need nothing but counting here. */
    countRun: (source, type, n) => {
      eventCounts.sums(source, type)[0]! += n;
    },
    instruments: {
      ipcCall: (what, seconds, ok) => ipcCalls.observe({ method: methods.label(what.replace(/\(.*$/, "")), outcome: ok ? "ok" : "error" }, seconds),
    },
  };
}
