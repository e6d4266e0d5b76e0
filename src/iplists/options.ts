// Option rows of the IP lists.
import { defineOptions } from "../config/options.js";
import { pathString } from "../config/values.js";

export const IPLISTS_OPTIONS = defineOptions({
  ipLists: {
    flag: "ip-lists",
    arg: "dir",
    description: "folder of IP lists (*.txt, one CIDR range per line) that alerts and metrics match peers against",
    defaultText: "data/iplists of this install",
    schema: pathString.optional(),
  },
});
