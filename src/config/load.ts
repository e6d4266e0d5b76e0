// Settings come from three layers, highest first: command-line flags, PEERWATCH_* environment
// variables, a JSON config file. They are merged, then validated once by zod; an error names the
// setting and where its bad value came from.
import fs from "node:fs";
import { z } from "zod";
import { natsSettingsProblem } from "../bus/nats/options.js";
import { OBSERVE_OPTIONS, TOOLS_OPTIONS, envName, type OptionSpec } from "./options.js";
import { deriveConfig, deriveToolsCommandConfig, observeSettings, toolsSettings, type ObserveConfig, type ToolsCommandConfig } from "./schema.js";

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Largest config file read: a settings file has no business being bigger. */
const MAX_CONFIG_BYTES = 1024 * 1024;

type Origin = "flag" | "env" | "file";
const originText = (table: readonly OptionSpec[]): Record<Origin, (key: string) => string> => ({
  flag: (k) => `--${table.find((o) => o.key === k)?.flag ?? k}`,
  env: (k) => {
    const o = table.find((x) => x.key === k);
    return o ? envName(o) : k;
  },
  file: (k) => `config file key "${k}"`,
});

export function readConfigFile(file: string, table: readonly OptionSpec[] = OBSERVE_OPTIONS): Record<string, unknown> {
  let text: string;
  try {
    const st = fs.statSync(file);
    if (st.size > MAX_CONFIG_BYTES) throw new ConfigError(`config file ${file} is ${st.size} bytes; at most ${MAX_CONFIG_BYTES}`);
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(`cannot read config file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${(e as Error).message}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${file} must hold a JSON object of settings`);
  }
  const obj = parsed as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    const o = table.find((x) => x.key === k);
    if (!o || o.flagOnly) {
      throw new ConfigError(`config file ${file}: unknown setting "${k}" (keys are the flags in camelCase, e.g. "ipcSocket")`);
    }
  }
  return obj;
}

export function settingsFromEnv(env: NodeJS.ProcessEnv, table: readonly OptionSpec[] = OBSERVE_OPTIONS): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of table) {
    const v = env[envName(o)];
    if (v !== undefined && v !== "" && !o.flagOnly) out[o.key] = v;
  }
  return out;
}

/** Merge the layers and validate. Throws ConfigError with a message fit for the user. */
export function loadConfig(flags: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): ObserveConfig {
  const s = loadLayers(flags, env, OBSERVE_OPTIONS, observeSettings);
  if ((s.rpcUser === undefined) !== (s.rpcPassword === undefined)) {
    throw new ConfigError("--rpc-user and --rpc-password go together (or use the cookie file)");
  }
  const nats = natsSettingsProblem(s);
  if (nats) throw new ConfigError(nats);
  return deriveConfig(s);
}

/** The settings of `peerwatch tools` (the same layers; --nats is required). */
export function loadToolsCommandConfig(flags: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): ToolsCommandConfig {
  const s = loadLayers(flags, env, TOOLS_OPTIONS, toolsSettings);
  if (!s.nats) throw new ConfigError("--nats is required: the NATS server to read events from (or PEERWATCH_NATS)");
  const nats = natsSettingsProblem(s);
  if (nats) throw new ConfigError(nats);
  return deriveToolsCommandConfig({ ...s, nats: s.nats });
}

function loadLayers<S extends z.ZodType>(flags: Record<string, unknown>, env: NodeJS.ProcessEnv, table: readonly OptionSpec[], schema: S): z.output<S> {
  const configFile = (flags.config as string | undefined) ?? env.PEERWATCH_CONFIG;
  const layers: [Origin, Record<string, unknown>][] = [
    ["file", configFile ? readConfigFile(configFile, table) : {}],
    ["env", settingsFromEnv(env, table)],
    ["flag", Object.fromEntries(Object.entries(flags).filter(([k, v]) => k !== "config" && v !== undefined))],
  ];
  const merged: Record<string, unknown> = {};
  const origin: Record<string, Origin> = {};
  for (const [o, layer] of layers) {
    for (const [k, v] of Object.entries(layer)) {
      merged[k] = v;
      origin[k] = o;
    }
  }
  const r = schema.safeParse(merged);
  if (!r.success) throw new ConfigError(describe(r.error, origin, originText(table)));
  return r.data;
}

function describe(err: z.ZodError, origin: Record<string, Origin>, ORIGIN_TEXT: Record<Origin, (key: string) => string>): string {
  return err.issues
    .map((i) => {
      const key = String(i.path[0] ?? "");
      const o = origin[key];
      const where = o ? ORIGIN_TEXT[o](key) : key ? `setting "${key}"` : "settings";
      // Never echo a secret back, even a malformed one.
      const msg = i.code === "unrecognized_keys" ? `unknown setting(s): ${i.keys.join(", ")}` : i.message;
      return `${where}: ${msg}`;
    })
    .join("; ");
}
