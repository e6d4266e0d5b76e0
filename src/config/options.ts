// The option table: every setting of a peerwatch command is one row. The CLI flags, the
// PEERWATCH_* environment variables, the config file keys, the zod schema, `--help` and the
// README flag tables are all derived from the rows, so they cannot drift apart. Core rows are
// here; each source's rows are in its descriptor, each tool's beside the tool; the CLI
// assembles the table of each command.
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { CHAINS, CHAIN_PARAMS, type Chain } from "./chains.js";
import { pathString, seconds, wholeNumber } from "./values.js";

/** Option rows that cannot form one table (a bug in how a command assembles it). */
export class OptionTableError extends Error {
  override name = "OptionTableError";
}

export interface OptionSpec<S extends z.ZodType = z.ZodType> {
  /** Long flag without dashes (kebab-case). The row's key is the config-file key (camelCase). */
  flag: string;
  /** Value placeholder for --help; absent for on/off switches. */
  arg?: string;
  description: string;
  /** The default as shown in --help and the README; the real default is the schema's. */
  defaultText?: string;
  /** Parses the raw value (string from a flag or env, JSON value from the file), with its default. */
  schema: S;
  /** Never logged or echoed. */
  secret?: boolean;
  /** Not settable from the config file or environment (e.g. the config file itself). */
  flagOnly?: boolean;
  /** Also offer `--no-<flag>`, which sets the value to false (e.g. `--no-p2p`). */
  negatable?: string;
  /**
   * A deprecated alias of another row: `use` is that row's key (in the same table). When the alias is
   * given and that row is not, its value goes to that row; using it makes the loader warn (`loadSettings`,
   * whichever command has the row), with `why` after "use --<flag>".
   */
  deprecated?: { use: string; why?: string };
}

export type OptionTable = Record<string, OptionSpec>;
export type OptionValues<T extends OptionTable> = { [K in keyof T]: z.output<T[K]["schema"]> };

/** Declares option rows; keeps their exact types for OptionValues. */
export function defineOptions<const T extends OptionTable>(rows: T): T {
  return rows;
}

/** `A | B` to `A & B`: the tables joined by mergeOptions. */
export type Joined<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/** Joins option tables, keeping their row types. A key may appear twice only as the very same row (shared rows). */
export function mergeOptions<const T extends readonly OptionTable[]>(...tables: T): Joined<T[number]> & OptionTable {
  const out: OptionTable = {};
  for (const t of tables) {
    for (const [key, row] of Object.entries(t)) {
      if (out[key] && out[key] !== row) throw new OptionTableError(`option "${key}" is defined twice`);
      out[key] = row;
    }
  }
  return out as Joined<T[number]> & OptionTable;
}

/** What a deprecated row says when it is used: "--old (PEERWATCH_OLD, old) is deprecated: use --new, why". */
export function deprecationNotice(table: OptionTable, key: string): string | undefined {
  const row = Object.hasOwn(table, key) ? table[key] : undefined;
  if (!row?.deprecated) return undefined;
  const use = table[row.deprecated.use];
  return (
    `--${row.flag} (${envName(row)}, ${key}) is deprecated: use ` + `--${use?.flag ?? row.deprecated.use}${row.deprecated.why ? `, ${row.deprecated.why}` : ""}`
  );
}

/** PEERWATCH_RPC_PASSWORD for --rpc-password, etc. */
export function envName(o: Pick<OptionSpec, "flag">): string {
  return `PEERWATCH_${o.flag.replace(/-/g, "_").toUpperCase()}`;
}

/** The strict zod object of a table (flag-only rows are handled by the loader). */
export function settingsSchema(table: OptionTable): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, row] of Object.entries(table)) if (!row.flagOnly) shape[key] = row.schema;
  return z.strictObject(shape);
}

// ---- core rows: every command that watches a node has them ----

const sourcesList = (known: readonly string[]) =>
  z.string().transform((s, ctx) => {
    const v = s.trim();
    if (v === "" || v === "auto") return "auto" as const;
    const names = [
      ...new Set(
        v
          .split(",")
          .map((x) => x.trim())
          .filter(Boolean),
      ),
    ];
    const bad = names.find((n) => !known.includes(n));
    if (bad !== undefined) {
      ctx.addIssue({ code: "custom", message: `unknown source "${bad.slice(0, 40)}" (known: ${known.join(", ")}, or auto)` });
      return z.NEVER;
    }
    return names;
  });

/** Log levels, quietest last; pino's, so `fatal` shows only what stops peerwatch. */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

/** The rows every observing command has; `sourceNames` are the sources the CLI assembled. */
export function coreOptions(sourceNames: readonly string[]) {
  return defineOptions({
    config: {
      flag: "config",
      arg: "file",
      description: "JSON config file with any of these settings (camelCase keys)",
      schema: pathString.optional(),
      flagOnly: true,
    },
    chain: {
      flag: "chain",
      arg: "name",
      description: "main, testnet4, signet or regtest: picks the datadir subfolder and ports",
      defaultText: "main",
      schema: z.enum(CHAINS, { message: `expected one of ${CHAINS.join(", ")}` }).default("main"),
    },
    datadir: { flag: "datadir", arg: "dir", description: "the node's data directory", defaultText: "~/.bitcoin", schema: pathString.optional() },
    nodeName: {
      flag: "node-name",
      arg: "name",
      description: "name of the watched node, stamped on every event",
      defaultText: "host name",
      schema: z
        .string()
        .min(1)
        .max(128)
        .regex(/^[A-Za-z0-9._-]+$/, "letters, digits, '.', '_' and '-' only")
        .optional(),
    },
    sources: {
      flag: "sources",
      arg: "list",
      description: `comma list of ${sourceNames.join(",")}; auto starts every source whose inputs are found and reports why the others are not up`,
      defaultText: "auto",
      schema: sourcesList(sourceNames).default("auto"),
    },
    pid: {
      flag: "pid",
      arg: "pid",
      description: "the node's process id (eBPF, thread CPU)",
      defaultText: "from <datadir>/<chain>/bitcoind.pid",
      schema: wholeNumber(1, 2 ** 31 - 1).optional(),
    },
    duration: {
      flag: "duration",
      arg: "seconds",
      description: "stop cleanly after this long",
      defaultText: "run until stopped",
      schema: seconds(10 * 365 * 86400).optional(),
    },
    logLevel: {
      flag: "log-level",
      arg: "level",
      description: "trace, debug, info, warn, error, fatal or silent",
      defaultText: "info",
      schema: z.enum(LOG_LEVELS, { message: `expected one of ${LOG_LEVELS.join(", ")}` }).default("info"),
    },
    logFormat: {
      flag: "log-format",
      arg: "format",
      description: "json or pretty; logs go to stderr",
      defaultText: "pretty on a terminal, else json",
      schema: z.enum(["json", "pretty"]).optional(),
    },
  });
}

export type CoreSettings = OptionValues<ReturnType<typeof coreOptions>>;

/** Core settings with the defaults that depend on other settings filled in. */
export interface CoreConfig extends Omit<CoreSettings, "datadir" | "nodeName" | "sources" | "config"> {
  datadir: string;
  /** `<datadir>/<chain subdir>`: where the node keeps this chain's files. */
  chainDir: string;
  nodeName: string;
  /** "auto", or the sources asked for by name. */
  sources: "auto" | string[];
  pidFile: string;
}

/** This host's name, made fit for a node name (the default of --node-name). */
export function defaultNodeName(): string {
  return os
    .hostname()
    .replace(/[^A-Za-z0-9._-]/g, "-")
    .slice(0, 128);
}

export function expandHome(p: string): string {
  return p === "~" || p.startsWith("~/") ? path.join(os.homedir(), p.slice(1)) : p;
}

export function deriveCore<S extends CoreSettings>(s: S): Omit<S, keyof CoreConfig> & CoreConfig {
  const params = CHAIN_PARAMS[s.chain as Chain];
  const datadir = path.resolve(expandHome(s.datadir ?? "~/.bitcoin"));
  const chainDir = params.subdir ? path.join(datadir, params.subdir) : datadir;
  return {
    ...s,
    datadir,
    chainDir,
    nodeName: s.nodeName ?? defaultNodeName(),
    sources: s.sources,
    pidFile: path.join(chainDir, "bitcoind.pid"),
  };
}

/** A path setting given by the user (home expanded, absolute), or the default under the chain dir. */
export function pathOrDefault(given: string | undefined, core: Pick<CoreConfig, "chainDir">, name: string): string {
  return given ? path.resolve(expandHome(given)) : path.join(core.chainDir, name);
}
