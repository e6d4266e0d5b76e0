// The metrics tool: one prom-client registry fed from the bus, served over HTTP. Each file beside
// this one registers the families of one area and returns the handler that feeds them.
import { Registry } from "prom-client";
import type { EventBus, Subscription } from "../../bus/index.js";
import type { HostPort } from "../../config/values.js";
import type { PeerwatchEvent } from "../../events/index.js";
import type { Instruments } from "../../sources/types.js";
import type { LoadedLists } from "../iplists/load-lists.js";
import { registerChainMetrics } from "./chain-metrics.js";
import { registerLogMetrics } from "./log-metrics.js";
import { startMetricsServer, type MetricsServer } from "./metrics-server.js";
import { registerP2pMetrics } from "./p2p-metrics.js";
import { registerPeerMetrics } from "./peer-metrics.js";
import { registerProcessMetrics } from "./process-metrics.js";
import { registerSelfMetrics } from "./self-metrics.js";
import { registerThreadMetrics } from "./thread-metrics.js";

export interface MetricsTool {
  registry: Registry;
  server: MetricsServer | undefined;
  subscription: Subscription;
  instruments: Instruments;
  close(): Promise<void>;
}

export interface RegistryOptions {
  /** Process metrics (CPU, memory, event loop); off for the per-node registries of `tools`. */
  processMetrics?: boolean;
  /** `tools` serving several nodes: every series of this registry carries node="<name>". */
  node?: string;
}

export function createMetricsRegistry(bus: EventBus, lists: LoadedLists, opts: RegistryOptions = {}): { registry: Registry; handle: (e: PeerwatchEvent) => void; instruments: Instruments } {
  const registry = new Registry();
  if (opts.node !== undefined) registry.setDefaultLabels({ node: opts.node });
  if (opts.processMetrics ?? true) {
    registerProcessMetrics(registry);
  }
  const self = registerSelfMetrics(registry, bus);
  const handlers = [self.handle, registerP2pMetrics(registry), registerChainMetrics(registry), registerPeerMetrics(registry, lists), registerThreadMetrics(registry), registerLogMetrics(registry)];
  const handle = (e: PeerwatchEvent): void => {
    for (let i = 0; i < handlers.length; i++) handlers[i]!(e);
  };
  return { registry, handle, instruments: self.instruments };
}

export async function startMetricsTool(bus: EventBus, at: HostPort | "off", lists: LoadedLists): Promise<MetricsTool> {
  const { registry, handle, instruments } = createMetricsRegistry(bus, lists);
  const subscription = bus.subscribe({ name: "metrics", maxQueue: 100_000 }, handle);
  const server = at === "off" ? undefined : await startMetricsServer(registry, at);
  return {
    registry,
    server,
    subscription,
    instruments,
    async close() {
      subscription.unsubscribe();
      await server?.close();
    },
  };
}
