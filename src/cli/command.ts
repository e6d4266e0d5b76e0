// What a `peerwatch` command is: a name, its option table, and what it runs. main.ts registers
// each one with commander; the README flag table of each comes from the same table.
import { ConfigError } from "../config/load.js";
import type { OptionTable } from "../config/options.js";

export interface CommandSpec {
  name: string;
  description: string;
  /** Positional arguments in commander's syntax, e.g. "<file...>". */
  args?: string;
  table: OptionTable;
  /** Text after the flags in --help. */
  helpAfter?: string;
  /** Runs the command; resolves to the process exit code. `opts` are commander's parsed flags. */
  run(opts: Record<string, unknown>, args: string[]): Promise<number>;
}

/** Loads a command's settings; a bad setting is printed as `peerwatch <command>: …` and gives undefined (exit 2). */
export function configOrExit<C>(command: string, load: () => C): C | undefined {
  try {
    return load();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`peerwatch ${command}: ${e.message}\n`);
    return undefined;
  }
}
