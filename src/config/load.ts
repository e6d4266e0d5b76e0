// Settings come from three layers, highest first: command-line flags, PEERWATCH_* environment
// variables, a JSON config file. They are merged, then validated once by zod; an error names the
// setting and where its bad value came from.
import { z } from "zod";
import { MAX_JSON_DEPTH, jsonDepthExceeds } from "../events/json-depth.js";
import { SettingsFileError, readBoundedFile } from "./bounded-file.js";
import { OBSERVE_OPTIONS, envName } from "./options.js";
import { deriveConfig, observeSettings, type ObserveConfig } from "./schema.js";

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Largest config file read: a settings file has no business being bigger. */
const MAX_CONFIG_BYTES = 1024 * 1024;

type Origin = "flag" | "env" | "file";
const ORIGIN_TEXT: Record<Origin, (key: string) => string> = {
  flag: (k) => `--${OBSERVE_OPTIONS.find((o) => o.key === k)?.flag ?? k}`,
  env: (k) => {
    const o = OBSERVE_OPTIONS.find((x) => x.key === k);
    return o ? envName(o) : k;
  },
  file: (k) => `config file key "${k}"`,
};

export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readBoundedFile(file, MAX_CONFIG_BYTES, "config file");
  } catch (e) {
    throw new ConfigError((e as SettingsFileError).message);
  }
  if (jsonDepthExceeds(text)) throw new ConfigError(`config file ${file} nests deeper than ${MAX_JSON_DEPTH} levels`);
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
    const o = OBSERVE_OPTIONS.find((x) => x.key === k);
    if (!o || o.flagOnly) {
      throw new ConfigError(`config file ${file}: unknown setting "${k}" (keys are the flags in camelCase, e.g. "ipcSocket")`);
    }
  }
  return obj;
}

export function settingsFromEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of OBSERVE_OPTIONS) {
    const v = env[envName(o)];
    if (v !== undefined && v !== "" && !o.flagOnly) out[o.key] = v;
  }
  return out;
}

/** Merge the layers and validate. Throws ConfigError with a message fit for the user. */
export function loadConfig(flags: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): ObserveConfig {
  const configFile = (flags.config as string | undefined) ?? env.PEERWATCH_CONFIG;
  const layers: [Origin, Record<string, unknown>][] = [
    ["file", configFile ? readConfigFile(configFile) : {}],
    ["env", settingsFromEnv(env)],
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
  const r = observeSettings.safeParse(merged);
  if (!r.success) throw new ConfigError(describe(r.error, origin));
  const s = r.data;
  if ((s.rpcUser === undefined) !== (s.rpcPassword === undefined)) {
    throw new ConfigError("--rpc-user and --rpc-password go together (or use the cookie file)");
  }
  return deriveConfig(s);
}

function describe(err: z.ZodError, origin: Record<string, Origin>): string {
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
