// Option rows of recording: the --events file's rotation (gzip follows from the file name).
import { defineOptions } from "../../config/options.js";
import { wholeNumber } from "../../config/values.js";
import { MIN_ROTATE_BYTES, ROTATE_KEEP } from "./event-file-stream.js";

export const RECORD_OPTIONS = defineOptions({
  eventsMaxBytes: {
    flag: "events-max-bytes",
    arg: "n",
    description:
      `rotate the --events file when it reaches n bytes (file.1, file.2 … newest first, ` + `${ROTATE_KEEP} kept); a name ending in .gz is written gzip`,
    defaultText: "no rotation",
    schema: wholeNumber(MIN_ROTATE_BYTES, Number.MAX_SAFE_INTEGER).optional(),
  },
});
