// Option row of the demo that `observe` runs when no source can start.
import { z } from "zod";
import { defineOptions } from "../config/options.js";
import { pathString } from "../config/values.js";

export const DEMO_OPTIONS = defineOptions({
  demo: {
    flag: "demo",
    arg: "file",
    description: "when no source can start in auto mode, replay this recording in a loop (labelled a replay) with the live page on",
    defaultText: "data/regtest-demo.ndjson.gz",
    // commander gives false for --no-demo; env and file say "off".
    schema: z.union([z.literal(false), z.literal("off").transform(() => false as const), pathString]).optional(),
    negatable: "no demo: when no source can start, wait quietly for one",
  },
});
