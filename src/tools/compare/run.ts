// The compare analysis's entry: folds every event on the bus into how the sources agree (blocks,
// peers, messages, cost) until the signal aborts; `report()` says what it has found so far, and
// `peerwatch compare` reads it once the bus has delivered everything.
import { stopOnAbort, type RunningTool, type ToolContext } from "../../bus/tool.js";
import { Comparer } from "./comparer.js";
import type { CompareReport } from "./report.js";

/** A live comparison of every source at full speed queues many events at once; the fold is cheap. */
const COMPARE_QUEUE = 200_000;

export interface CompareOptions {
  /** The subscriber's queue bound (events); what does not fit is dropped and counted by the bus. */
  maxQueue?: number;
}

export interface RunningCompare extends RunningTool {
  report(): CompareReport;
}

export async function run(options: CompareOptions, { bus, signal }: ToolContext): Promise<RunningCompare> {
  const comparer = new Comparer();
  const subscription = bus.subscribe({ name: "compare", maxQueue: options.maxQueue ?? COMPARE_QUEUE }, (e) => comparer.add(e));
  return { report: () => comparer.report(), stopped: stopOnAbort(signal, () => subscription.unsubscribe()) };
}
