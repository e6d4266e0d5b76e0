// What every extractor implements to plug into `peerwatch observe`.
import type { ObserveConfig, ObserveSourceName } from "../config/schema.js";
import type { Emit } from "../events/index.js";
import type { Logger } from "../logger.js";

/** Measurements of peerwatch's own work that are not events (the metrics tool provides them). */
export interface Instruments {
  /** One IPC call: what was called (e.g. "Rpc.executeRpc(getpeerinfo)"), how long, whether it succeeded. */
  ipcCall(what: string, seconds: number, ok: boolean): void;
}

export interface SourceContext {
  config: ObserveConfig;
  /** Emits events stamped with this source's name and the node name. */
  emit: Emit;
  log: Logger;
  /** Aborted when peerwatch shuts down: the source must then stop and let `run` settle. */
  signal: AbortSignal;
  instruments?: Instruments;
}

export interface Source {
  readonly name: ObserveSourceName;
  /** Runs until `ctx.signal` is aborted. Reports its own state with `source.status` events. */
  run(ctx: SourceContext): Promise<void>;
}

/** What discovery found for a source: start it, or why not. */
export type SourcePlan =
  | { name: ObserveSourceName; start: true; detail: string }
  | { name: ObserveSourceName; start: false; reason: string };
