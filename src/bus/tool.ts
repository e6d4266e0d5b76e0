// What a tool runs on. Each tool has one entry, `run(options, context)` in `src/tools/<name>/run.ts`
// (as peer-observer's tools have `run(args, shutdown)`): it resolves once the tool is up (and
// rejects when it cannot start, e.g. a port taken), runs until `context.signal` aborts, then stops
// by itself; `stopped` resolves once it has (server closed, file written, state saved). The CLI
// starts the tools of a command (`observe`, `replay`, `tools`) with one signal and aborts it to stop
// them all; a test starts one tool alone on an in-process bus.
import type { Logger } from "../logger.js";
import type { EventBus } from "./types.js";

export interface ToolContext {
  /** The bus the tool reads, and publishes what it finds (alerts, loss reports) to. */
  bus: EventBus;
  /** Aborting it stops the tool. */
  signal: AbortSignal;
  log: Logger;
}

export interface RunningTool {
  /** Resolves once the tool has stopped, after the signal aborted. */
  readonly stopped: Promise<void>;
}

/**
 * Runs `stop` once, when `signal` aborts (at once when it already has); the promise is settled once
 * `stop` is done. The listener goes with the abort, so a tool leaves nothing on the signal.
 */
export function stopOnAbort(signal: AbortSignal, stop: () => void | Promise<void>): Promise<void> {
  const stopped = new Promise<void>((resolve, reject) => {
    const run = (): void => {
      Promise.resolve().then(stop).then(resolve, reject);
    };
    if (signal.aborted) run();
    else signal.addEventListener("abort", run, { once: true });
  });
  stopped.catch(() => {}); // a failed stop is for whoever awaits `stopped`, not an unhandled rejection
  return stopped;
}
