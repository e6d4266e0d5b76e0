// The `peerwatch` command line. Each command's flags come from its option table.
import { Command, CommanderError } from "commander";
import { ConfigError } from "../config/load.js";
import { VERSION } from "../version.js";
import { CommandFailed, type CommandSpec } from "./command.js";
import { addOptions } from "./flags-doc.js";
import { examplesHelp } from "./help-examples.js";
import { compareCommand } from "./compare.js";
import { exportCommand } from "./export.js";
import { observeCommand } from "./observe.js";
import { replayCommand } from "./replay.js";
import { toolsCommand } from "./tools-command.js";

/** Exit code of every usage error: a bad flag, a bad value, a missing argument. */
export const USAGE_ERROR = 2;

/** Every command, in --help order. */
export const COMMANDS: readonly CommandSpec[] = [observeCommand, replayCommand, compareCommand, exportCommand, toolsCommand];

export function buildProgram(): Command {
  const program = new Command("peerwatch")
    .description("Watch a Bitcoin Core node's P2P network for attacks and anomalies.")
    .version(VERSION, "-V, --version")
    .showHelpAfterError("(run with --help for the flags)");
  for (const spec of COMMANDS) {
    const cmd = program.command(spec.args ? `${spec.name} ${spec.args}` : spec.name).description(spec.description);
    addOptions(cmd, spec.table);
    const after = [spec.helpAfter, examplesHelp(spec.name)].filter(Boolean).join("\n");
    if (after) cmd.addHelpText("after", after);
  }
  return program;
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram().exitOverride();
  // Each command's own errors (unknown flag, missing value) too: commander would exit by itself.
  for (const cmd of program.commands) cmd.exitOverride();
  let action: { spec: CommandSpec; run: Promise<number> } | undefined;
  for (const [i, spec] of COMMANDS.entries()) {
    program.commands[i]?.action((...a: unknown[]) => {
      // commander passes the positional arguments, then the options, then the command.
      const opts = a[a.length - 2] as Record<string, unknown>;
      const args = a.slice(0, -2).flat() as string[];
      // Started here, awaited below: commander must not see (and wrap) the command's own errors.
      const run = spec.run(opts, args);
      run.catch(() => {}); // handled below
      action = { spec, run };
    });
  }
  try {
    await program.parseAsync(argv);
  } catch (e) {
    // --help and --version exit 0; every usage error (unknown flag or command, missing value,
    // excess arguments) exits 2, like a bad value does.
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : USAGE_ERROR;
    throw e;
  }
  if (!action) {
    program.outputHelp();
    return 0;
  }
  try {
    return await action.run;
  } catch (e) {
    return failed(action.spec.name, e);
  }
}

/** The one place a command's failure becomes an exit code (command.ts says which error means what). */
function failed(command: string, e: unknown): number {
  if (e instanceof ConfigError) {
    process.stderr.write(`peerwatch ${command}: ${e.message}\n`);
    return USAGE_ERROR;
  }
  if (e instanceof CommandFailed) return e.exitCode;
  throw e; // a bug: bin/peerwatch.js says so and exits 1
}
