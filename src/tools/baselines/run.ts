// The adaptive baselines' entry: the learnt normal of each rate, `anomaly` alerts published back,
// until the signal aborts; then the normal is saved (--baseline-state).
import { stopOnAbort, type RunningTool, type ToolContext } from "../../bus/tool.js";
import { BaselineWatch, DEFAULT_BASELINE, type BaselineSettings } from "./baseline-watch.js";

export interface BaselinesOptions {
  /** The node the anomalies are raised for (the `node` of each alert event). */
  nodeName: string;
  /** --baseline-state: where the learnt normal is kept across restarts; in memory only if absent. */
  baselineState?: string;
  /** The estimator's settings; the defaults if absent. */
  settings?: Partial<BaselineSettings>;
}

export interface RunningBaselines extends RunningTool {
  watch: BaselineWatch;
}

/** Starts the baselines; what goes wrong with the state file is logged as a warning (at start and on stop). */
export async function run(options: BaselinesOptions, { bus, signal, log }: ToolContext): Promise<RunningBaselines> {
  const watch = new BaselineWatch({ ...DEFAULT_BASELINE, ...options.settings, ...(options.baselineState ? { stateFile: options.baselineState } : {}) });
  const subscription = watch.attach(bus, options.nodeName);
  const logProblems = (): void => {
    for (const p of watch.problems.splice(0)) log.warn(p);
  };
  logProblems();
  return {
    watch,
    stopped: stopOnAbort(signal, () => {
      subscription.unsubscribe(); // saves the learnt normal
      logProblems();
    }),
  };
}
