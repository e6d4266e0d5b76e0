// Finds the sources (each descriptor's discovery check), starts each one's source on the given
// publish function, and reports the ones that cannot start. Shared by `observe` and `compare`.
import { emitterFor, type PeerwatchEvent } from "../events/index.js";
import type { Logger } from "../logger.js";
import type { Instruments, SourcePlan } from "../sources/types.js";
import type { SourcesConfig } from "./observe-options.js";
import { SOURCES } from "./sources.js";

/** Which sources to start (auto: every one whose check passes), and why the others are not up. */
export function discoverSources(config: SourcesConfig): { descriptor: (typeof SOURCES)[number]; plan: SourcePlan }[] {
  const wanted = config.sources === "auto" ? SOURCES : SOURCES.filter((s) => config.sources.includes(s.name));
  return wanted.map((descriptor) => {
    const r = descriptor.check(config);
    const plan: SourcePlan = r.ok ? { name: descriptor.name, start: true, detail: r.detail } : { name: descriptor.name, start: false, reason: r.reason };
    return { descriptor, plan };
  });
}

/** Starts every source that can run; each promise settles when that source has stopped. */
export function startSources(
  config: SourcesConfig,
  publish: (e: PeerwatchEvent) => void,
  log: Logger,
  signal: AbortSignal,
  instruments?: Instruments,
  found = discoverSources(config),
  publishBatch?: (events: readonly PeerwatchEvent[]) => void,
): Promise<void>[] {
  const runs: Promise<void>[] = [];
  for (const { descriptor, plan } of found) {
    // A source that reads many events at once (an IPC trace batch, a bpftrace pipe read) puts them on the bus as one batch.
    const emit = emitterFor(descriptor.name, config.nodeName, publish, publishBatch);
    if (!plan.start) {
      emit("source.status", { source: descriptor.name, state: "down", detail: plan.reason });
      continue;
    }
    const slog = log.child({ source: plan.name });
    runs.push(
      descriptor
        .create()
        .then((source) => source.run({ config, emit, log: slog, signal, ...(instruments ? { instruments } : {}) }))
        .catch((err: unknown) => {
          slog.error({ err }, `${plan.name} source failed`);
          emit("source.status", { source: descriptor.name, state: "down", detail: `failed: ${(err as Error).message ?? String(err)}` });
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
