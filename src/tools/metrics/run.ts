// The metrics tool's entry: its registry fed from the bus, served at --metrics until the signal aborts.
import type { Registry } from "prom-client";
import { stopOnAbort, type RunningTool, type ToolContext } from "../../bus/tool.js";
import type { HostPort } from "../../config/values.js";
import type { LoadedLists } from "../../iplists/load-lists.js";
import type { Instruments } from "../../sources/types.js";
import { startMetricsTool } from "./index.js";
import type { MetricsServer } from "./metrics-server.js";

export interface MetricsOptions {
  /** --metrics: where /metrics is served, or "off" (the registry is still fed). */
  metrics: HostPort | "off";
  /** The IP lists peers are matched against (per-list peer counts). */
  lists: LoadedLists;
}

export interface RunningMetrics extends RunningTool {
  registry: Registry;
  server: MetricsServer | undefined;
  /** What the sources report their own costs into. */
  instruments: Instruments;
}

/** Starts the metrics tool; rejects when the port cannot be bound. */
export async function run(options: MetricsOptions, { bus, signal }: ToolContext): Promise<RunningMetrics> {
  const tool = await startMetricsTool(bus, options.metrics, options.lists);
  return { registry: tool.registry, server: tool.server, instruments: tool.instruments, stopped: stopOnAbort(signal, () => tool.close()) };
}
