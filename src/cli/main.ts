// The `peerwatch` command line. Flags come from the one option table in config/options.ts.
import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { ConfigError, loadConfig, loadToolsCommandConfig } from "../config/load.js";
import { OBSERVE_OPTIONS, TOOLS_OPTIONS, envName, type OptionSpec } from "../config/options.js";
import { createLogger } from "../logger.js";
import { observe } from "./observe.js";
import { tools } from "./tools-command.js";

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
  addOptions(obs, OBSERVE_OPTIONS);
  obs.addHelpText(
    "after",
    "\nEvery flag can also be set by its PEERWATCH_* environment variable or in the --config file.\nSee README.md and docs/ for what each source needs from the node.",
  );
  const tls = program
    .command("tools")
    .description("Run the tools (metrics, alerts, NDJSON, fleet view) on events read from NATS, for one node or many (see docs/nats.md).");
  addOptions(tls, TOOLS_OPTIONS);
  tls.addHelpText("after", "\nEvery flag can also be set by its PEERWATCH_* environment variable or in the --config file.\nSee docs/nats.md and docs/deploy.md for a multi-node set-up.");
  return program;
}

function addOptions(cmd: Command, table: readonly OptionSpec[]): void {
  for (const o of table) {
    const tail = [o.defaultText ? `default: ${o.defaultText}` : "", o.flagOnly ? "" : `env ${envName(o)}`].filter(Boolean).join("; ");
    cmd.addOption(new Option(`--${o.flag}${o.arg ? ` <${o.arg}>` : ""}`, `${o.description}${tail ? ` (${tail})` : ""}`));
  }
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram().exitOverride();
  let action: Promise<number> = Promise.resolve(0);
  program.commands.find((c) => c.name() === "observe")?.action((opts: Record<string, unknown>) => {
    action = runObserve(opts);
  });
  program.commands.find((c) => c.name() === "tools")?.action((opts: Record<string, unknown>) => {
    action = runTools(opts);
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

async function runObserve(opts: Record<string, unknown>): Promise<number> {
  let config;
  try {
    config = loadConfig(opts);
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

async function runTools(opts: Record<string, unknown>): Promise<number> {
  let config;
  try {
    config = loadToolsCommandConfig(opts);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`peerwatch tools: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const log = createLogger({ level: config.logLevel, format: config.logFormat });
  log.info({ node: config.nodeName, nodes: config.nodes ?? "all" }, `peerwatch ${pkg.version} tools reading NATS`);
  return tools(config, log);
}
