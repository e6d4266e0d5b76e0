// When a long-running command stops: SIGINT, SIGTERM, the caller's signal (tests) or --duration.
// Until then the command runs: signal handlers and a pending promise do not keep Node's event loop
// alive, so with nothing else holding it (no source could start, --metrics off, a NATS bus whose
// retry timers are unref'd) the process used to exit 0 at once. A ref'd timer held here until the
// stop keeps it running, for every command that waits on this signal.
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
  const keepAlive = setInterval(() => {}, 2 ** 31 - 1);
  // After the stop the command's own shutdown decides when the process ends.
  stop.signal.addEventListener("abort", () => clearInterval(keepAlive), { once: true });
  return {
    signal: stop.signal,
    stop: () => stop.abort(),
    dispose() {
      clearTimeout(timer);
      clearInterval(keepAlive);
      process.off("SIGINT", sigint);
      process.off("SIGTERM", sigterm);
    },
  };
}
