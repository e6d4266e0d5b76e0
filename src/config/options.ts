// The one list of `peerwatch observe` settings. The CLI flags, the PEERWATCH_* environment variables
// and the config file keys are all derived from it, so they cannot drift apart.

import { NATS_OPTIONS, NATS_TOOLS_OPTIONS } from "../bus/nats/options.js";

export interface OptionSpec {
  /** Config-file key and internal name (camelCase). */
  key: string;
  /** Long flag without dashes (kebab-case). */
  flag: string;
  /** Value placeholder for --help; absent for boolean switches. */
  arg?: string;
  description: string;
  /** Shown in --help; the real default is applied in schema.ts. */
  defaultText?: string;
  /** Never logged or echoed. */
  secret?: boolean;
  /** Not settable from the config file (e.g. the config file itself). */
  flagOnly?: boolean;
}

export const OBSERVE_OPTIONS: readonly OptionSpec[] = [
  { key: "config", flag: "config", arg: "file", description: "JSON config file with any of these settings (camelCase keys)", flagOnly: true },
  { key: "chain", flag: "chain", arg: "name", description: "main, testnet4, signet or regtest", defaultText: "main" },
  { key: "datadir", flag: "datadir", arg: "dir", description: "the node's data directory", defaultText: "~/.bitcoin" },
  { key: "nodeName", flag: "node-name", arg: "name", description: "name of the watched node, stamped on every event", defaultText: "this host's name" },
  { key: "sources", flag: "sources", arg: "list", description: "comma list of ipc,ebpf,rpc,p2p,proc, or auto (every source whose inputs are found)", defaultText: "auto" },
  { key: "ipcSocket", flag: "ipc-socket", arg: "path", description: "bitcoin-node's -ipcbind=unix socket", defaultText: "<datadir>/<chain>/node.sock" },
  { key: "ipcMaxMessageBytes", flag: "ipc-max-message-bytes", arg: "n", description: "largest IPC message accepted from the node", defaultText: "67108864" },
  { key: "rpcUrl", flag: "rpc-url", arg: "url", description: "the node's JSON-RPC URL", defaultText: "http://127.0.0.1:<chain rpc port>" },
  { key: "rpcCookie", flag: "rpc-cookie", arg: "file", description: "RPC cookie file", defaultText: "<datadir>/<chain>/.cookie" },
  { key: "rpcUser", flag: "rpc-user", arg: "user", description: "RPC user (with --rpc-password), instead of the cookie" },
  { key: "rpcPassword", flag: "rpc-password", arg: "password", description: "RPC password (prefer the cookie or PEERWATCH_RPC_PASSWORD)", secret: true },
  { key: "rpcInterval", flag: "rpc-interval", arg: "seconds", description: "how often the fast RPC snapshots are polled", defaultText: "10" },
  { key: "rpcSlowInterval", flag: "rpc-slow-interval", arg: "seconds", description: "how often the expensive RPC snapshots are polled", defaultText: "120" },
  { key: "rpcDisable", flag: "rpc-disable", arg: "list", description: "comma list of polled RPC methods to leave out (e.g. getaddrmaninfo,listbanned)" },
  { key: "rpcTimeout", flag: "rpc-timeout", arg: "seconds", description: "timeout of one RPC call", defaultText: "30" },
  { key: "bitcoinNodeBin", flag: "bitcoin-node-bin", arg: "path", description: "the node's binary (bitcoin-node or bitcoind), for eBPF tracepoints" },
  { key: "ebpfGroups", flag: "ebpf-groups", arg: "list", description: "tracepoint groups for eBPF: net,connections,mempool,validation,utxocache (utxocache is very chatty)", defaultText: "net,connections,mempool,validation" },
  { key: "ebpfPayloadBytes", flag: "ebpf-payload-bytes", arg: "n", description: "message payload bytes eBPF copies (0 to 128; longer payloads are marked truncated)", defaultText: "64" },
  { key: "pid", flag: "pid", arg: "pid", description: "the node's process id", defaultText: "read from <datadir>/<chain>/bitcoind.pid" },
  { key: "procInterval", flag: "proc-interval", arg: "seconds", description: "how often the node's per-thread CPU time is read from /proc", defaultText: "10" },
  { key: "p2p", flag: "p2p", arg: "host:port", description: "connect the P2P pinger to the node at this address (port defaults to the chain's P2P port)" },
  { key: "p2pListen", flag: "p2p-listen", arg: "host:port", description: "listen for the node (configured with -addnode) at this address" },
  { key: "pingInterval", flag: "ping-interval", arg: "seconds", description: "how often the P2P pinger pings", defaultText: "10" },
  { key: "events", flag: "events", arg: "file|-", description: "write every event as NDJSON to a file, or - for stdout" },
  { key: "metrics", flag: "metrics", arg: "host:port|off", description: "serve Prometheus metrics at http://<host:port>/metrics", defaultText: "127.0.0.1:9432" },
  { key: "alerts", flag: "alerts", arg: "file", description: "JSON file of alert thresholds (see docs/alerts.md)", defaultText: "built-in defaults" },
  { key: "ipLists", flag: "ip-lists", arg: "dir", description: "folder of IP lists (*.txt, CIDR per line) that alerts and metrics match peers against", defaultText: "data/iplists of this install" },
  { key: "duration", flag: "duration", arg: "seconds", description: "stop cleanly after this long", defaultText: "run until stopped" },
  { key: "logLevel", flag: "log-level", arg: "level", description: "trace, debug, info, warn, error or silent", defaultText: "info" },
  { key: "logFormat", flag: "log-format", arg: "format", description: "json or pretty", defaultText: "pretty on a terminal, json otherwise" },
  ...NATS_OPTIONS,
];

// --- NATS and `peerwatch tools` (issue 11): these rows move beside their parts when the table is layered ---
const TOOLS_SHARED_KEYS = ["config", "nodeName", "events", "metrics", "alerts", "ipLists", "duration", "logLevel", "logFormat"];

/** `peerwatch tools`: the tools fed from NATS instead of a node. */
export const TOOLS_OPTIONS: readonly OptionSpec[] = [
  ...OBSERVE_OPTIONS.filter((o) => TOOLS_SHARED_KEYS.includes(o.key)).map((o) =>
    o.key === "nodeName" ? { ...o, description: "name of this tools process, stamped on its own events (loss reports, fleet alerts)" } : o,
  ),
  ...NATS_OPTIONS.map((o) => (o.key === "nats" ? { ...o, description: "NATS server(s) to read events from: nats://host:4222 or tls://host:4222, comma list for a cluster (required)" } : o)),
  ...NATS_TOOLS_OPTIONS,
];
// --- end of NATS block ---

/** PEERWATCH_RPC_PASSWORD for rpcPassword, etc. */
export function envName(o: OptionSpec): string {
  return `PEERWATCH_${o.flag.replace(/-/g, "_").toUpperCase()}`;
}
