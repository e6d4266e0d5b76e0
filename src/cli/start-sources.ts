// Finds the sources (discovery), starts each one's extractor on the given publish function, and
// reports the ones that cannot start. Shared by `observe` and `compare`.
import type { ObserveConfig } from "../config/schema.js";
import { emitterFor, type PeerwatchEvent } from "../events/index.js";
import type { Logger } from "../logger.js";
import { discoverSources } from "../sources/discover.js";
import { SOURCE_FACTORIES } from "../sources/registry.js";
import type { Instruments, Source } from "../sources/types.js";

/** Starts every source that can run; resolves each one's run when it has stopped. */
export function startSources(
  config: ObserveConfig,
  publish: (e: PeerwatchEvent) => void,
  log: Logger,
  signal: AbortSignal,
  instruments?: Instruments,
): Promise<void>[] {
  const runs: Promise<void>[] = [];
  for (const plan of discoverSources(config)) {
    const emit = emitterFor(plan.name, config.nodeName, publish);
    if (!plan.start) {
      emit("source.status", { source: plan.name, state: "down", detail: plan.reason });
      continue;
    }
    const factory = SOURCE_FACTORIES[plan.name];
    if (!factory) {
      emit("source.status", { source: plan.name, state: "down", detail: `inputs found (${plan.detail}), but this version of peerwatch has no ${plan.name} extractor yet` });
      continue;
    }
    const slog = log.child({ source: plan.name });
    runs.push(
      factory()
        .then((source: Source) => source.run({ config, emit, log: slog, signal, ...(instruments ? { instruments } : {}) }))
        .catch((err: unknown) => {
          slog.error({ err }, `${plan.name} source failed`);
          emit("source.status", { source: plan.name, state: "down", detail: `failed: ${(err as Error).message ?? String(err)}` });
        }),
    );
  }
  return runs;
}

/** Waits for the runs to settle, at most `ms`; false if some did not. */
export async function settled(runs: Promise<void>[], ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const ok = await Promise.race([Promise.all(runs).then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)))]);
  clearTimeout(timer);
  return ok;
}
