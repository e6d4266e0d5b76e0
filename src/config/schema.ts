// zod schema of the observe settings, and the defaults that depend on other settings (paths under
// the datadir, ports of the chain). Input values may be strings (flags, env) or JSON values (file).
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { DEFAULT_GROUPS, MAX_PAYLOAD_BYTES, TRACEPOINT_GROUPS, type TracepointGroup } from "../ebpf/program.js";
import { POLLED_METHODS } from "../rpc/poller.js";
import { CHAINS, CHAIN_PARAMS, type Chain } from "./chains.js";
import { strictNumber } from "./strict-number.js";

export const SOURCE_NAMES = ["ipc", "ebpf", "rpc", "p2p", "proc"] as const;
export type ObserveSourceName = (typeof SOURCE_NAMES)[number];

export interface HostPort {
  host: string;
  port: number;
}

/** Parse `host:port` or `[ipv6]:port`; port 0 means "any free port" (useful in tests). */
export function parseHostPort(s: string): HostPort | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(s.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { host: (m[1] ?? m[2]) as string, port };
}

export function formatHostPort(hp: HostPort): string {
  return hp.host.includes(":") ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}

function toHostPort(s: string, ctx: z.RefinementCtx): HostPort {
  const hp = parseHostPort(s);
  if (hp) return hp;
  ctx.addIssue({ code: "custom", message: `expected host:port (e.g. 127.0.0.1:9432), got "${s.slice(0, 100)}"` });
  return z.NEVER;
}
const hostPort = z.string().transform(toHostPort);
/** host:port, or a bare host (the port then comes from the chain; 0 marks "not given"). */
const hostMaybePort = z.string().transform((s, ctx) => {
  const bare = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+))$/.exec(s.trim());
  if (bare) return { host: (bare[1] ?? bare[2]) as string, port: 0 };
  return toHostPort(s, ctx);
});

const seconds = (max: number) =>
  strictNumber(z.number({ message: "expected a number of seconds" }).positive("must be more than 0").max(max, `at most ${max}`));

const pathString = z.string().min(1, "must not be empty").max(4096);

const sourcesList = z.string().transform((s, ctx) => {
  const v = s.trim();
  if (v === "" || v === "auto") return "auto" as const;
  const names = v.split(",").map((x) => x.trim()).filter(Boolean);
  for (const n of names) {
    if (!(SOURCE_NAMES as readonly string[]).includes(n)) {
      ctx.addIssue({ code: "custom", message: `unknown source "${n}" (known: ${SOURCE_NAMES.join(", ")}, or auto)` });
      return z.NEVER;
    }
  }
  return [...new Set(names)] as ObserveSourceName[];
});

export const observeSettings = z.strictObject({
  chain: z.enum(CHAINS, { message: `expected one of ${CHAINS.join(", ")}` }).default("main"),
  datadir: pathString.optional(),
  nodeName: z.string().min(1).max(128).regex(/^[A-Za-z0-9._-]+$/, "letters, digits, '.', '_' and '-' only").optional(),
  sources: sourcesList.default("auto"),
  ipcSocket: pathString.optional(),
  ipcMaxMessageBytes: strictNumber(z.number({ message: "expected a number of bytes" }).int().min(1024).max(1 << 30)).default(64 * 1024 * 1024),
  rpcUrl: z.url({ protocol: /^https?$/, message: "expected an http:// or https:// URL" }).optional(),
  rpcCookie: pathString.optional(),
  rpcUser: z.string().min(1).max(256).optional(),
  rpcPassword: z.string().min(1).max(1024).optional(),
  rpcInterval: seconds(86400).default(10),
  rpcSlowInterval: seconds(86400).default(120),
  rpcTimeout: seconds(3600).default(30),
  rpcDisable: z
    .string()
    .transform((s, ctx) => {
      const names = s.split(",").map((x) => x.trim()).filter(Boolean);
      const bad = names.find((n) => !(POLLED_METHODS as readonly string[]).includes(n));
      if (bad !== undefined) {
        ctx.addIssue({ code: "custom", message: `unknown method "${bad.slice(0, 40)}" (polled: ${POLLED_METHODS.join(", ")})` });
        return z.NEVER;
      }
      return names;
    })
    .default([]),
  bitcoinNodeBin: pathString.optional(),
  ebpfGroups: z
    .string()
    .transform((s, ctx) => {
      const names = s.split(",").map((x) => x.trim()).filter(Boolean);
      const bad = names.find((n) => !(TRACEPOINT_GROUPS as readonly string[]).includes(n));
      if (bad !== undefined || names.length === 0) {
        ctx.addIssue({ code: "custom", message: `expected a comma list of ${TRACEPOINT_GROUPS.join(", ")}${bad ? `; unknown: "${bad.slice(0, 40)}"` : ""}` });
        return z.NEVER;
      }
      return [...new Set(names)] as TracepointGroup[];
    })
    .default([...DEFAULT_GROUPS]),
  ebpfPayloadBytes: strictNumber(z.number({ message: "expected a whole number" }).int("expected a whole number").min(0).max(MAX_PAYLOAD_BYTES)).default(64),
  pid: strictNumber(z.number({ message: "expected a process id" }).int("expected a process id").positive("expected a process id")).optional(),
  procInterval: seconds(86400).default(10),
  p2p: hostMaybePort.optional(),
  p2pListen: hostPort.optional(),
  pingInterval: seconds(3600).default(10),
  events: pathString.optional(),
  metrics: z
    .string()
    .transform((s, ctx) => (s === "off" ? ("off" as const) : toHostPort(s, ctx)))
    .default({ host: "127.0.0.1", port: 9432 }),
  alerts: pathString.optional(),
  ipLists: pathString.optional(),
  duration: seconds(10 * 365 * 86400).optional(),
  logLevel: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  logFormat: z.enum(["json", "pretty"]).optional(),
});
export type ObserveSettings = z.output<typeof observeSettings>;

/** Settings with every derived default filled in. */
export interface ObserveConfig extends Omit<ObserveSettings, "datadir" | "nodeName" | "rpcUrl"> {
  datadir: string;
  /** `<datadir>/<chain subdir>`: where the node keeps this chain's files. */
  chainDir: string;
  nodeName: string;
  ipcSocket: string;
  /** True when --ipc-socket was given (an explicit request), false for the default path. */
  ipcSocketGiven: boolean;
  rpcUrl: string;
  rpcCookie: string;
  rpcCookieGiven: boolean;
  pidFile: string;
}

function expandHome(p: string): string {
  return p === "~" || p.startsWith("~/") ? path.join(os.homedir(), p.slice(1)) : p;
}

export function deriveConfig(s: ObserveSettings): ObserveConfig {
  const params = CHAIN_PARAMS[s.chain as Chain];
  const datadir = path.resolve(expandHome(s.datadir ?? "~/.bitcoin"));
  const chainDir = params.subdir ? path.join(datadir, params.subdir) : datadir;
  return {
    ...s,
    datadir,
    chainDir,
    nodeName: s.nodeName ?? os.hostname().replace(/[^A-Za-z0-9._-]/g, "-").slice(0, 128),
    ipcSocket: s.ipcSocket ? path.resolve(expandHome(s.ipcSocket)) : path.join(chainDir, "node.sock"),
    ipcSocketGiven: s.ipcSocket !== undefined,
    rpcUrl: s.rpcUrl ?? `http://127.0.0.1:${params.rpcPort}`,
    rpcCookie: s.rpcCookie ? path.resolve(expandHome(s.rpcCookie)) : path.join(chainDir, ".cookie"),
    rpcCookieGiven: s.rpcCookie !== undefined,
    pidFile: path.join(chainDir, "bitcoind.pid"),
    p2p: s.p2p && { host: s.p2p.host, port: s.p2p.port || params.p2pPort },
  };
}
