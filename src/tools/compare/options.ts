// The flags of `peerwatch compare` beyond observe's (which it takes too, for a live run).
import type { OptionSpec } from "../../config/options.js";

export const COMPARE_OPTIONS: readonly OptionSpec[] = [
  { key: "json", flag: "json", description: "print the report as one JSON object instead of tables", flagOnly: true },
  { key: "markdown", flag: "markdown", arg: "file", description: "also write the report as markdown to this file", flagOnly: true },
];

/** How long a live compare runs when --duration is not given, in seconds. */
export const DEFAULT_COMPARE_SECONDS = 60;
