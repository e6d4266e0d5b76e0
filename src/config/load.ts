// Settings come from three layers, highest first: command-line flags, PEERWATCH_* environment
// variables, a JSON config file. They are merged, then validated once by the table's zod schema;
// an error names the setting and where its bad value came from.
import type { z } from "zod";
import { MAX_JSON_DEPTH, jsonDepthExceeds } from "../util/json-depth.js";
import { readBoundedFile } from "./bounded-file.js";
import { deprecationNotice, envName, settingsSchema, type OptionTable, type OptionValues } from "./options.js";

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Largest config file read: a settings file has no business being bigger. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

type Origin = "flag" | "env" | "file";

export function readConfigFile(file: string, table: OptionTable): Record<string, unknown> {
  let text: string;
  try {
    text = readBoundedFile(file, MAX_CONFIG_BYTES, "config file");
  } catch (e) {
    throw new ConfigError((e as Error).message, { cause: e });
  }
  if (jsonDepthExceeds(text)) throw new ConfigError(`config file ${file} nests deeper than ${MAX_JSON_DEPTH} levels`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${file} must hold a JSON object of settings`);
  }
  const obj = parsed as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    const o = Object.hasOwn(table, k) ? table[k] : undefined;
    if (!o || o.flagOnly) {
      throw new ConfigError(`config file ${file}: unknown setting "${k.slice(0, 60)}" (keys are the flags in camelCase, e.g. "ipcSocket")`);
    }
  }
  return obj;
}

export function settingsFromEnv(env: NodeJS.ProcessEnv, table: OptionTable): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, o] of Object.entries(table)) {
    const v = env[envName(o)];
    if (v !== undefined && v !== "" && !o.flagOnly) out[key] = v;
  }
  return out;
}

/**
 * Merges the layers and validates them against the table. `flags` are commander's options (keys
 * are the table's keys). Throws ConfigError with a message fit for the user; a secret's value is
 * never part of it. A deprecated row in use (OptionSpec.deprecated) gives its value to the row it
 * stands for, unless that row is given too, and is told to `warn`.
 */
export function loadSettings<T extends OptionTable>(
  table: T,
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
  warn?: (message: string) => void,
): OptionValues<T> {
  const configFile = (flags.config as string | undefined) ?? (table.config ? env.PEERWATCH_CONFIG : undefined);
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
  const r = settingsSchema(table).safeParse(merged);
  if (!r.success) throw new ConfigError(describe(r.error, origin, table));
  const values: Record<string, unknown> = r.data;
  for (const [key, row] of Object.entries(table)) {
    if (!row.deprecated || merged[key] === undefined) continue;
    const notice = deprecationNotice(table, key);
    if (notice) warn?.(notice);
    if (merged[row.deprecated.use] === undefined) values[row.deprecated.use] = values[key];
  }
  // The schema is the table's own (settingsSchema): its output has the rows' types.
  return values as OptionValues<T>;
}

function describe(err: z.ZodError, origin: Record<string, Origin>, table: OptionTable): string {
  const where = (key: string): string => {
    const row = Object.hasOwn(table, key) ? table[key] : undefined;
    switch (origin[key]) {
      case "flag":
        return `--${row?.flag ?? key}`;
      case "env":
        return row ? envName(row) : key;
      case "file":
        return `config file key "${key}"`;
      default:
        return key ? `setting "${key}"` : "settings";
    }
  };
  return err.issues
    .map((i) => {
      // Never echo a secret back, even a malformed one.
      const msg = i.code === "unrecognized_keys" ? `unknown setting(s): ${i.keys.join(", ")}` : i.message;
      return `${where(String(i.path[0] ?? ""))}: ${msg}`;
    })
    .join("; ");
}
