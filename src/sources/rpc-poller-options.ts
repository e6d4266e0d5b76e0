// Option rows of the RPC poller, shared by every source that polls (RPC over HTTP, RPC over IPC).
import { defineOptions, type OptionValues } from "../config/options.js";
import { commaList, seconds } from "../config/values.js";
import { POLLED_METHODS } from "./rpc-poller.js";

export const POLLER_OPTIONS = defineOptions({
  rpcInterval: {
    flag: "rpc-interval",
    arg: "seconds",
    description: "how often the fast RPC snapshots are polled",
    defaultText: "10",
    schema: seconds(86400).default(10),
  },
  rpcSlowInterval: {
    flag: "rpc-slow-interval",
    arg: "seconds",
    description: "how often the expensive RPC snapshots are polled",
    defaultText: "120",
    schema: seconds(86400).default(120),
  },
  rpcDisable: {
    flag: "rpc-disable",
    arg: "list",
    description: "comma list of polled RPC methods to leave out, e.g. getaddrmaninfo,listbanned (see docs/rpc.md)",
    schema: commaList(POLLED_METHODS, "method").default([]),
  },
  rpcTimeout: { flag: "rpc-timeout", arg: "seconds", description: "timeout of one RPC call", defaultText: "30", schema: seconds(3600).default(30) },
});

export type PollerSettings = OptionValues<typeof POLLER_OPTIONS>;
