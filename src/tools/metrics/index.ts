// The metrics tool: one prom-client registry fed from the bus, served over HTTP. Each file beside
// this one registers the families of one area and returns the handler that feeds them.
import { Registry } from "prom-client";
import type { EventBus, Subscription } from "../../bus/index.js";
import type { HostPort } from "../../config/values.js";
import type { PeerwatchEvent } from "../../events/index.js";
import type { Instruments } from "../../sources/types.js";
import type { LoadedLists } from "../../iplists/load-lists.js";
import { registerAlertMetrics } from "./alert-metrics.js";
import { registerChainMetrics } from "./chain-metrics.js";
import { registerLogMetrics } from "./log-metrics.js";
import { startMetricsServer, type MetricsServer } from "./metrics-server.js";
import { registerP2pMetrics } from "./p2p-metrics.js";
import { registerPeerLoadMetrics } from "./peer-load-metrics.js";
import { registerPeerMetrics } from "./peer-metrics.js";
import { registerPeerTrafficMetrics } from "./peer-traffic-metrics.js";
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

export function createMetricsRegistry(
  bus: EventBus,
  lists: LoadedLists,
  opts: RegistryOptions = {},
): { registry: Registry; handle: (e: PeerwatchEvent) => void; handleBatch: (events: readonly PeerwatchEvent[]) => void; instruments: Instruments } {
  const registry = new Registry();
  if (opts.node !== undefined) registry.setDefaultLabels({ node: opts.node });
  if (opts.processMetrics ?? true) {
    registerProcessMetrics(registry);
  }
  const self = registerSelfMetrics(registry, bus);
  const p2p = registerP2pMetrics(registry);
  const handlers = [
    self.handle,
    p2p.handle,
    registerChainMetrics(registry),
    registerPeerMetrics(registry, lists),
    registerThreadMetrics(registry),
    registerLogMetrics(registry),
    registerAlertMetrics(registry),
    registerPeerTrafficMetrics(registry),
    registerPeerLoadMetrics(registry),
  ];
  const handle = (e: PeerwatchEvent): void => {
    for (let i = 0; i < handlers.length; i++) handlers[i]!(e);
  };
  // A batch: each run of net.message from one source (a trace batch, a flood) is counted in one
  // fold by the P2P metrics, the only ones that read it, and once by the event counts; anything
  // else goes through every handler as before.
  const handleBatch = (events: readonly PeerwatchEvent[]): void => {
    for (let i = 0; i < events.length; ) {
      const e = events[i]!;
      if (e.type !== "net.message") {
        handle(e);
        i++;
        continue;
      }
      let end = i + 1;
      while (end < events.length && events[end]!.type === "net.message" && events[end]!.source === e.source) end++;
      self.countRun(e.source, "net.message", end - i);
      p2p.messages(events, i, end);
      i = end;
    }
  };
  return { registry, handle, handleBatch, instruments: self.instruments };
}

export async function startMetricsTool(bus: EventBus, at: HostPort | "off", lists: LoadedLists): Promise<MetricsTool> {
  const { registry, handleBatch, instruments } = createMetricsRegistry(bus, lists);
  const subscription = bus.subscribeBatches({ name: "metrics", maxQueue: 100_000 }, handleBatch);
  let server: MetricsServer | undefined;
  try {
    server = at === "off" ? undefined : await startMetricsServer(registry, at);
  } catch (e) {
    subscription.unsubscribe(); // a port that cannot be bound: nothing stays on the bus
    throw e;
  }
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
