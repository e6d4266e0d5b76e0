// The metrics tool: one registry fed from the bus, served over HTTP.
import { Registry, collectDefaultMetrics } from "prom-client";
import type { EventBus, Subscription } from "../../bus/index.js";
import type { HostPort } from "../../config/schema.js";
import type { PeerwatchEvent } from "../../events/index.js";
import { startMetricsServer, type MetricsServer } from "./metrics-server.js";
import { registerSelfMetrics } from "./self-metrics.js";

export interface MetricsTool {
  registry: Registry;
  server: MetricsServer | undefined;
  subscription: Subscription;
  close(): Promise<void>;
}

export function createMetricsRegistry(bus: EventBus): { registry: Registry; handle: (e: PeerwatchEvent) => void } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "peerwatch_" });
  const handlers = [registerSelfMetrics(registry, bus)];
  return { registry, handle: (e) => handlers.forEach((h) => h(e)) };
}

export async function startMetricsTool(bus: EventBus, at: HostPort | "off"): Promise<MetricsTool> {
  const { registry, handle } = createMetricsRegistry(bus);
  const subscription = bus.subscribe({ name: "metrics", maxQueue: 100_000 }, handle);
  const server = at === "off" ? undefined : await startMetricsServer(registry, at);
  return {
    registry,
    server,
    subscription,
    async close() {
      subscription.unsubscribe();
      await server?.close();
    },
  };
}
