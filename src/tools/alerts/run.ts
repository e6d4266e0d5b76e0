// The alert tool's entry: the heuristics on the bus, their alerts published back, until the signal aborts.
import { stopOnAbort, type RunningTool, type ToolContext } from "../../bus/tool.js";
import type { LoadedLists } from "../../iplists/load-lists.js";
import { AlertEngine, defaultHeuristics } from "./alert-engine.js";
import { DEFAULT_THRESHOLDS, type Thresholds } from "./thresholds.js";

export interface AlertsOptions {
  /** The node the alerts are raised for (the `node` of each alert event). */
  nodeName: string;
  /** The thresholds (--alerts, read with loadThresholds); the built-in defaults if absent. */
  thresholds?: Thresholds;
  /** The IP lists behind the listed-address alert. */
  lists: LoadedLists;
}

export interface RunningAlerts extends RunningTool {
  engine: AlertEngine;
}

export async function run(options: AlertsOptions, { bus, signal }: ToolContext): Promise<RunningAlerts> {
  const thresholds = options.thresholds ?? DEFAULT_THRESHOLDS;
  const engine = new AlertEngine(defaultHeuristics(thresholds, options.lists.tree), thresholds);
  const subscription = engine.attach(bus, options.nodeName);
  return { engine, stopped: stopOnAbort(signal, () => subscription.unsubscribe()) };
}
