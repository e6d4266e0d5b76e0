// The fleet view's entry: heuristics across the nodes on the bus, their alerts published back as
// this process's, until the signal aborts.
import type { Registry } from "prom-client";
import { stopOnAbort, type RunningTool, type ToolContext } from "../../bus/tool.js";
import { FleetWatch } from "./fleet-watch.js";
import { DEFAULT_FLEET_THRESHOLDS, type FleetThresholds } from "./thresholds.js";

export interface FleetOptions {
  /** This tools process's name: fleet alerts are its alerts (the nodes are named in the detail). */
  nodeName: string;
  thresholds?: FleetThresholds;
  /** Where the fleet's metrics go (block spread, shared peers, RTT medians); none if absent. */
  registry?: Registry;
}

export interface RunningFleet extends RunningTool {
  watch: FleetWatch;
}

export async function run(options: FleetOptions, { bus, signal }: ToolContext): Promise<RunningFleet> {
  const watch = new FleetWatch(options.thresholds ?? DEFAULT_FLEET_THRESHOLDS);
  const subscription = watch.attach(bus, options.nodeName);
  if (options.registry) watch.registerMetrics(options.registry);
  return { watch, stopped: stopOnAbort(signal, () => subscription.unsubscribe()) };
}
