// Metrics about peerwatch itself: events seen, events lost, which sources are up. Other metric
// families (P2P, mempool, peers …) live in their own files beside this one.
import { Counter, Gauge, type Registry } from "prom-client";
import type { EventBus } from "../../bus/index.js";
import { SOURCE_NAMES } from "../../config/schema.js";
import type { PeerwatchEvent } from "../../events/index.js";

export function registerSelfMetrics(registry: Registry, bus: EventBus): (e: PeerwatchEvent) => void {
  const events = new Counter({
    name: "peerwatch_events_total",
    help: "Events published on the bus, by source and type",
    labelNames: ["source", "type"] as const,
    registers: [registry],
  });
  const dropped = new Counter({
    name: "peerwatch_events_dropped_total",
    help: "Events lost before reaching peerwatch or a tool, by who lost them and why",
    labelNames: ["source", "reason"] as const,
    registers: [registry],
  });
  const up = new Gauge({
    name: "peerwatch_source_up",
    help: "1 when the source is up, 0.5 when degraded, 0 when down or not started",
    labelNames: ["source"] as const,
    registers: [registry],
  });
  for (const s of SOURCE_NAMES) up.set({ source: s }, 0);
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
  return (e) => {
    events.inc({ source: e.source, type: e.type });
    if (e.type === "events.dropped") {
      dropped.inc({ source: e.data.source, reason: e.data.reason }, e.data.count);
    } else if (e.type === "source.status") {
      up.set({ source: e.data.source }, e.data.state === "up" ? 1 : e.data.state === "degraded" ? 0.5 : 0);
    }
  };
}
