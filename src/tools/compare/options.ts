// The rows of `peerwatch compare` beyond what it runs (observe's sources take their own rows).
import { z } from "zod";
import { defineOptions } from "../../config/options.js";
import { pathString } from "../../config/values.js";

export const COMPARE_OPTIONS = defineOptions({
  json: { flag: "json", description: "print the report as one JSON object instead of tables", schema: z.boolean().optional(), flagOnly: true },
  markdown: { flag: "markdown", arg: "file", description: "also write the report as markdown to this file", schema: pathString.optional(), flagOnly: true },
});

/** How long a live compare runs when --duration is not given, in seconds. */
export const DEFAULT_COMPARE_SECONDS = 60;
