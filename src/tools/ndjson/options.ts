// Option rows of the NDJSON event stream.
import { defineOptions } from "../../config/options.js";
import { pathString } from "../../config/values.js";

export const NDJSON_OPTIONS = defineOptions({
  events: {
    flag: "events",
    arg: "file|-",
    description:
      "write every event as NDJSON to a file (appended), or - for stdout; a name ending in .pwb or .pwb.gz writes the binary recording instead (read by " +
      "replay, compare and export)",
    schema: pathString.optional(),
  },
});
