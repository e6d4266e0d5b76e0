// What every source implements to plug into peerwatch: a Source that runs, and a descriptor
// that names it, lists its option rows, says whether it can start, and creates it. The CLI
// assembles the descriptors; nothing below the CLI knows which sources exist.
import { ConfigError, loadSettings } from "../config/load.js";
import { coreOptions, deriveCore, mergeOptions, type CoreConfig, type CoreSettings, type OptionTable, type OptionValues } from "../config/options.js";
import type { Emit } from "../events/index.js";
import type { Logger } from "../logger.js";

/** Measurements of peerwatch's own work that are not events (the metrics tool provides them). */
export interface Instruments {
  /** One IPC call: what was called (e.g. "Rpc.executeRpc(getpeerinfo)"), how long, whether it succeeded. */
  ipcCall(what: string, seconds: number, ok: boolean): void;
}

export interface SourceContext<C = CoreConfig> {
  config: C;
  /** Emits events stamped with this source's name and the node name. */
  emit: Emit;
  log: Logger;
  /** Aborted when peerwatch shuts down: the source must then stop and let `run` settle. */
  signal: AbortSignal;
  instruments?: Instruments;
}

export interface Source<C = CoreConfig> {
  readonly name: string;
  /** Runs until `ctx.signal` is aborted. Reports its own state with `source.status` events. */
  run(ctx: SourceContext<C>): Promise<void>;
}

/** Discovery's answer for one source: start it (and what it found), or why not. */
export type Discovery = { ok: true; detail: string } | { ok: false; reason: string };

/** The configuration a source sees: core settings plus its own rows. */
export type SourceConfig<T extends OptionTable> = CoreConfig & OptionValues<T>;

export interface SourceDescriptor<T extends OptionTable = OptionTable> {
  /** The source name in events and in --sources. */
  readonly name: "ipc" | "ebpf" | "rpc" | "p2p" | "proc" | "log";
  /** One line for --help and docs. */
  readonly summary: string;
  /** Its rows of the option table (rows shared with another source are the same objects). */
  readonly options: T;
  /** Cross-setting checks after parsing; returns an error message or undefined. */
  validate?(config: SourceConfig<T>): string | undefined;
  /** Looks at files, flags and privileges (never connects): can it start, and with what. */
  check(config: SourceConfig<T>): Discovery;
  /** Loads the source (lazily: its dependencies are imported only when it starts). */
  create(): Promise<Source<SourceConfig<T>>>;
}

/** Keeps a descriptor's exact option types. */
export function defineSource<const T extends OptionTable>(d: SourceDescriptor<T>): SourceDescriptor<T> {
  return d;
}

/** Settings as a config file holds them (camelCase keys, JSON values): core ones and a source's own. */
export type SourceSettings<T extends OptionTable> = Partial<Record<keyof CoreSettings | keyof T, unknown>>;

/**
 * A source's config without the CLI: `settings` as a config file would hold them, parsed by the core
 * rows and the source's own rows (their defaults filled in, e.g. `{ chain: "regtest", procInterval: 1 }`),
 * then the source's cross-setting check. Throws ConfigError on a bad setting, like the CLI (and
 * naming it by its flag).
 */
export function sourceConfig<T extends OptionTable>(
  d: Pick<SourceDescriptor<T>, "name" | "options" | "validate">,
  settings: SourceSettings<T> = {},
  env: NodeJS.ProcessEnv = {},
): SourceConfig<T> {
  const core = coreOptions([d.name]);
  const values = loadSettings(mergeOptions(core, d.options), settings, env);
  // The merged table holds both sets of rows, so the values are both: core settings and the source's own.
  const own = values as OptionValues<T>;
  const config: SourceConfig<T> = { ...own, ...deriveCore(values as CoreSettings) };
  const problem = d.validate?.(config);
  if (problem) throw new ConfigError(problem);
  return config;
}

/** What discovery found for a source: start it, or why not. */
export type SourcePlan = { name: string; start: true; detail: string } | { name: string; start: false; reason: string };
