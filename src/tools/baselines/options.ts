// Option rows of the adaptive baselines.
import { defineOptions } from "../../config/options.js";
import { pathString } from "../../config/values.js";

export const BASELINE_OPTIONS = defineOptions({
  baselineState: {
    flag: "baseline-state",
    arg: "file",
    description: "where the adaptive baselines keep the learnt normal of each rate, so a restart does not forget it",
    defaultText: "none: learnt in memory, forgotten on restart",
    schema: pathString.optional(),
  },
});
