// What a `peerwatch` command is: a name, its option table, and what it runs. main.ts registers
// each one with commander; the README flag table of each comes from the same table.
//
// One failure convention: a command and its helpers throw a named error, main.ts catches it once.
// - ConfigError (src/config/load.ts): a bad flag, setting or argument, found before anything
//   starts; main prints `peerwatch <command>: <message>` and exits 2.
// - CommandFailed: the command could not go on after it started logging; its log has said why,
//   main exits with the error's code.
import { createLogger, type Logger, type LoggerOptions } from "../logger.js";
import type { OptionTable } from "../config/options.js";

export interface CommandSpec {
  name: string;
  description: string;
  /** Positional arguments in commander's syntax, e.g. "<file...>". */
  args?: string;
  table: OptionTable;
  /** Text after the flags in --help. */
  helpAfter?: string;
  /** Runs the command; resolves to the process exit code, or throws ConfigError / CommandFailed. `opts` are commander's parsed flags. */
  run(opts: Record<string, unknown>, args: string[]): Promise<number>;
}

/** A command that stopped after its log said why; main.ts exits with `exitCode`. */
export class CommandFailed extends Error {
  override name = "CommandFailed";
  constructor(
    readonly exitCode: number,
    message = `stopped with exit code ${exitCode} (the log says why)`,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The command's logger, after which the deprecated settings the loader met (`notices`) are told in it. */
export function commandLogger(opts: Pick<LoggerOptions, "level" | "format">, notices: readonly string[]): Logger {
  const log = createLogger(opts);
  for (const n of notices) log.warn(n);
  return log;
}
