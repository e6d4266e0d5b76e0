// Option rows of the alert heuristics.
import { defineOptions } from "../../config/options.js";
import { pathString } from "../../config/values.js";

export const ALERTS_OPTIONS = defineOptions({
  alerts: {
    flag: "alerts",
    arg: "file",
    description: "JSON file of alert thresholds; keys and defaults in docs/alerts.md",
    defaultText: "built-in defaults",
    schema: pathString.optional(),
  },
});
