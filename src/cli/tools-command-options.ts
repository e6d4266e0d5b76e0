// The option table of the `peerwatch tools` command (tools-command.ts): a few core rows, the tools'
// rows and the NATS rows.
import { NATS_OPTIONS, NATS_TOOLS_OPTIONS, natsSettingsProblem } from "../bus/nats/options.js";
import { ConfigError, loadSettings } from "../config/load.js";
import { coreOptions, defaultNodeName, defineOptions, mergeOptions, type OptionValues } from "../config/options.js";
import { PAGE_OPTIONS, TOOL_OPTIONS } from "./observe-options.js";

const core = coreOptions([]);

const TOOLS_CORE = defineOptions({
  config: core.config,
  nodeName: { ...core.nodeName, description: "name of this tools process, stamped on its own events (loss reports, fleet alerts)" },
  duration: core.duration,
  logLevel: core.logLevel,
  logFormat: core.logFormat,
});

const TOOLS_NATS = defineOptions({
  ...NATS_OPTIONS,
  nats: { ...NATS_OPTIONS.nats, description: "NATS server(s) to read events from: nats://host:4222 or tls://host:4222, comma list for a cluster (required)" },
});

/** The tools' rows, but --baseline-state names a directory here: one state file per node. */
const TOOLS_TOOL_OPTIONS = defineOptions({
  ...TOOL_OPTIONS,
  baselineState: {
    ...TOOL_OPTIONS.baselineState,
    arg: "dir",
    description:
      "directory where the adaptive baselines keep each node's learnt normal, one state file per node named after it, so a restart does not forget it",
  },
});

export const TOOLS_COMMAND_OPTIONS = mergeOptions(TOOLS_CORE, TOOLS_TOOL_OPTIONS, PAGE_OPTIONS, TOOLS_NATS, NATS_TOOLS_OPTIONS);

type Values = OptionValues<typeof TOOLS_CORE & typeof TOOLS_TOOL_OPTIONS & typeof PAGE_OPTIONS & typeof NATS_OPTIONS & typeof NATS_TOOLS_OPTIONS>;
export interface ToolsCommandConfig extends Omit<Values, "nodeName" | "nats" | "config"> {
  nodeName: string;
  nats: string[];
}

/** Merges flags, environment and config file; validates; --nats is required. */
export function loadToolsCommandConfig(flags: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): ToolsCommandConfig {
  const s = loadSettings(TOOLS_COMMAND_OPTIONS, flags, env) as unknown as Values;
  if (!s.nats) throw new ConfigError("--nats is required: the NATS server to read events from (or PEERWATCH_NATS)");
  const problem = natsSettingsProblem(s);
  if (problem) throw new ConfigError(problem);
  return { ...s, nats: s.nats, nodeName: s.nodeName ?? defaultNodeName() };
}
