// Option rows of the live page.
import { defineOptions } from "../../config/options.js";
import { hostPortOrOff } from "../../config/values.js";

export const WEB_OPTIONS = defineOptions({
  web: {
    flag: "web",
    arg: "host:port|off",
    description: "serve the live page at http://<host:port>/ (Server-Sent Events; see docs/web.md)",
    defaultText: "off; 127.0.0.1:9433 in the demo",
    schema: hostPortOrOff("127.0.0.1:9433").optional(),
  },
});
