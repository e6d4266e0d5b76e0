// When a long-running command stops: SIGINT, SIGTERM, the caller's signal (tests) or --duration.
import type { Logger } from "../logger.js";

export interface StopSignal {
  signal: AbortSignal;
  /** Stops now (e.g. a fatal error while running). */
  stop(): void;
  /** Removes the process handlers and the timer. */
  dispose(): void;
}

export function stopSignal(log: Logger, outer?: AbortSignal, durationSeconds?: number): StopSignal {
  const stop = new AbortController();
  const onSignal = (sig: string) => {
    log.info(`${sig}: stopping`);
    stop.abort();
  };
  const sigint = () => onSignal("SIGINT");
  const sigterm = () => onSignal("SIGTERM");
  process.once("SIGINT", sigint);
  process.once("SIGTERM", sigterm);
  outer?.addEventListener("abort", () => stop.abort(), { once: true });
  const timer = durationSeconds ? setTimeout(() => stop.abort(), durationSeconds * 1000) : undefined;
  return {
    signal: stop.signal,
    stop: () => stop.abort(),
    dispose() {
      clearTimeout(timer);
      process.off("SIGINT", sigint);
      process.off("SIGTERM", sigterm);
    },
  };
}
