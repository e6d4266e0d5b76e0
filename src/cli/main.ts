// The `peerwatch` command line. Flags come from the one option table in config/options.ts.
import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { ConfigError, loadConfig } from "../config/load.js";
import { OBSERVE_OPTIONS, envName, type OptionSpec } from "../config/options.js";
import { createLogger } from "../logger.js";
import { observe } from "./observe.js";
import { addReplayCommand, runReplay } from "./replay.js";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };

export function buildProgram(): Command {
  const program = new Command("peerwatch")
    .description("Watch a Bitcoin Core node's P2P network for attacks and anomalies.")
    .version(pkg.version, "-V, --version")
    .showHelpAfterError("(run with --help for the flags)");
  const obs = program
    .command("observe")
    .description(
      "Read the node through every available source (IPC, eBPF, RPC, P2P, /proc) and serve events, metrics and alerts.",
    );
  for (const o of OBSERVE_OPTIONS) obs.addOption(describeOption(o));
  obs.addHelpText(
    "after",
    "\nEvery flag can also be set by its PEERWATCH_* environment variable or in the --config file.\nSee README.md and docs/ for what each source needs from the node.",
  );
  addReplayCommand(program, describeOption);
  return program;
}

function describeOption(o: OptionSpec): Option {
  const tail = [o.defaultText ? `default: ${o.defaultText}` : "", o.flagOnly ? "" : `env ${envName(o)}`].filter(Boolean).join("; ");
  return new Option(`--${o.flag}${o.arg ? ` <${o.arg}>` : ""}`, `${o.description}${tail ? ` (${tail})` : ""}`);
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram().exitOverride();
  let action: Promise<number> = Promise.resolve(0);
  program.commands.find((c) => c.name() === "observe")?.action((opts: Record<string, unknown>) => {
    action = runObserve(opts);
  });
  program.commands.find((c) => c.name() === "replay")?.action((files: string[], opts: Record<string, unknown>) => {
    action = runReplay(files, commanderToSettings(opts));
  });
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    throw e;
  }
  if (program.args.length === 0 && !program.commands.some((c) => argv.includes(c.name()))) {
    program.outputHelp();
    return 0;
  }
  return action;
}

/** commander turns --no-demo into `demo: false` (and `demo: true` by default); the settings say noDemo. */
function commanderToSettings(opts: Record<string, unknown>): Record<string, unknown> {
  const { demo, ...rest } = opts;
  return demo === false ? { ...rest, noDemo: true } : rest;
}

async function runObserve(opts: Record<string, unknown>): Promise<number> {
  let config;
  try {
    config = loadConfig(commanderToSettings(opts));
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`peerwatch observe: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const log = createLogger({ level: config.logLevel, format: config.logFormat });
  log.info({ chain: config.chain, node: config.nodeName, sources: config.sources }, `peerwatch ${pkg.version} observing`);
  return observe(config, log);
}
