// Option rows of the metrics tool.
import { defineOptions } from "../../config/options.js";
import { hostPortOrOff } from "../../config/values.js";

export const METRICS_OPTIONS = defineOptions({
  metrics: {
    flag: "metrics",
    arg: "host:port|off",
    description: "serve Prometheus metrics at http://<host:port>/metrics; off disables",
    defaultText: "127.0.0.1:9432",
    schema: hostPortOrOff("127.0.0.1:9432").default({ host: "127.0.0.1", port: 9432 }),
  },
});
