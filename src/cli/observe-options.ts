// The option table of `peerwatch observe`: core rows, every source's rows, every tool's rows.
// `--help`, the zod schema and the README flag table all come from it.
import { NATS_OPTIONS, natsSettingsProblem } from "../bus/nats/options.js";
import { ConfigError, loadSettings } from "../config/load.js";
import {
  coreOptions,
  deriveCore,
  mergeOptions,
  type CoreConfig,
  type CoreSettings,
  type Joined,
  type OptionTable,
  type OptionValues,
} from "../config/options.js";
import { ALERTS_OPTIONS } from "../tools/alerts/options.js";
import { BASELINE_OPTIONS } from "../tools/baselines/options.js";
import { IPLISTS_OPTIONS } from "../iplists/options.js";
import { METRICS_OPTIONS } from "../tools/metrics/options.js";
import { NDJSON_OPTIONS } from "../tools/ndjson/options.js";
import { RECORD_OPTIONS } from "../tools/record/options.js";
import { WEB_OPTIONS } from "../tools/web/options.js";
import { DEMO_OPTIONS } from "./demo-options.js";
import { SOURCES, SOURCE_NAMES } from "./sources.js";

/** The tools' rows, shared by every command that feeds the tools (observe, replay, tools). */
export const TOOL_OPTIONS = { ...NDJSON_OPTIONS, ...RECORD_OPTIONS, ...METRICS_OPTIONS, ...ALERTS_OPTIONS, ...BASELINE_OPTIONS, ...IPLISTS_OPTIONS };
/** Rows of the commands that serve the live page (observe, replay; not compare). */
export const PAGE_OPTIONS = { ...WEB_OPTIONS };

/** Every source's rows (each descriptor's `options`), joined. */
type SourceOptions = Joined<(typeof SOURCES)[number]["options"]>;

/** What watching a node takes. */
export const OBSERVE_OPTIONS = sourcesTable(TOOL_OPTIONS);
/** `observe` itself: the above, the live page, the demo, and publishing to NATS. */
export const OBSERVE_COMMAND_OPTIONS = mergeOptions(OBSERVE_OPTIONS, PAGE_OPTIONS, DEMO_OPTIONS, NATS_OPTIONS);

export type ObserveConfig = CoreConfig &
  Omit<OptionValues<SourceOptions & typeof TOOL_OPTIONS>, keyof CoreConfig> &
  Partial<OptionValues<typeof PAGE_OPTIONS & typeof DEMO_OPTIONS & typeof NATS_OPTIONS>>;

/** What starting the sources needs: core settings and every source's rows (observe and compare have them). */
export type SourcesConfig = CoreConfig & Omit<OptionValues<SourceOptions>, keyof CoreConfig>;

/** The rows of a command that runs the sources: core and every source's, plus the command's own. */
export function sourcesTable(...own: OptionTable[]): OptionTable {
  return mergeOptions(coreOptions(SOURCE_NAMES), ...SOURCES.map((s) => s.options), ...own);
}

/**
 * Merges flags, environment and config file against a table; validates; fills in the derived
 * defaults. `C` is what the table's rows make (the table is assembled at run time, so the caller
 * names it). A deprecated setting in use is told to `warn`.
 */
export function loadSourcesConfig<C extends SourcesConfig>(
  table: OptionTable,
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
  warn?: (message: string) => void,
): C {
  const settings = loadSettings(table, flags, env, warn) as CoreSettings & Record<string, unknown>;
  const config = deriveCore(settings) as C;
  for (const s of SOURCES) {
    const problem = s.validate?.(config);
    if (problem) throw new ConfigError(problem);
  }
  const nats = natsSettingsProblem(config);
  if (nats) throw new ConfigError(nats);
  return config;
}

export function loadObserveConfig(
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
  table = OBSERVE_OPTIONS,
  warn?: (message: string) => void,
): ObserveConfig {
  return loadSourcesConfig<ObserveConfig>(table, flags, env, warn);
}
