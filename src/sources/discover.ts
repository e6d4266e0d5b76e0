// Which sources can run, and why the others cannot. Auto mode starts every source whose inputs are
// given or found; an explicit --sources list is checked the same way so the user learns what is
// missing. Nothing here connects to the node: it only looks at files, flags and privileges.
import fs from "node:fs";
import path from "node:path";
import { readBoundedFile } from "../config/bounded-file.js";
import { SOURCE_NAMES, type ObserveConfig, type ObserveSourceName } from "../config/schema.js";
import type { SourcePlan } from "./types.js";

type Check = (c: ObserveConfig) => { ok: true; detail: string } | { ok: false; reason: string };

function errCode(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? String(e);
}

/** The node's PID: --pid, else the PID file the node writes in its chain directory. */
export function findNodePid(c: ObserveConfig): { pid: number; from: string } | { pid: undefined; why: string } {
  if (c.pid !== undefined) return { pid: c.pid, from: "--pid" };
  let text: string;
  try {
    text = readBoundedFile(c.pidFile, 64, "PID file");
  } catch (e) {
    return { pid: undefined, why: `no --pid and no readable PID file at ${c.pidFile} (${errCode(e)})` };
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) return { pid: undefined, why: `PID file ${c.pidFile} does not hold a PID` };
  return { pid, from: c.pidFile };
}

/** Whether a process with this PID exists now. */
export function processAlive(pid: number): boolean {
  return fs.existsSync(`/proc/${pid}`);
}

/** Finds an executable on PATH. */
export function which(cmd: string, envPath = process.env.PATH ?? ""): string | undefined {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

const checks: Record<ObserveSourceName, Check> = {
  ipc: (c) => {
    let st: fs.Stats;
    try {
      st = fs.statSync(c.ipcSocket);
    } catch (e) {
      // Asked for by name: start anyway and keep retrying, the node may be starting or restarting.
      if (c.sources !== "auto" || c.ipcSocketGiven) return { ok: true, detail: `waiting for ${c.ipcSocket}` };
      return {
        ok: false,
        reason: `no IPC socket at ${c.ipcSocket} (${errCode(e)}): start bitcoin-node with -ipcbind=unix, or pass --ipc-socket`,
      };
    }
    if (!st.isSocket()) return { ok: false, reason: `${c.ipcSocket} exists but is not a unix socket` };
    try {
      fs.accessSync(c.ipcSocket, fs.constants.R_OK | fs.constants.W_OK);
    } catch {
      return { ok: false, reason: `no permission to open ${c.ipcSocket}: it is private to the node's user (run as that user or root)` };
    }
    return { ok: true, detail: `socket ${c.ipcSocket}` };
  },
  rpc: (c) => {
    if (c.rpcUser !== undefined) return { ok: true, detail: `${c.rpcUrl} with user/password` };
    try {
      fs.accessSync(c.rpcCookie, fs.constants.R_OK);
      return { ok: true, detail: `${c.rpcUrl} with cookie ${c.rpcCookie}` };
    } catch (e) {
      return {
        ok: false,
        reason: `no readable RPC cookie at ${c.rpcCookie} (${errCode(e)}) and no --rpc-user/--rpc-password`,
      };
    }
  },
  ebpf: (c) => {
    if (!c.bitcoinNodeBin) return { ok: false, reason: "no --bitcoin-node-bin given (the node binary whose tracepoints to attach)" };
    if (!fs.existsSync(c.bitcoinNodeBin)) return { ok: false, reason: `--bitcoin-node-bin ${c.bitcoinNodeBin} does not exist` };
    const pid = findNodePid(c);
    if (pid.pid === undefined) return { ok: false, reason: pid.why };
    if (!processAlive(pid.pid)) return { ok: false, reason: `no process with PID ${pid.pid} (from ${pid.from})` };
    if (!which("bpftrace")) return { ok: false, reason: "bpftrace is not installed (Debian: apt-get install bpftrace)" };
    if (process.getuid?.() !== 0) return { ok: false, reason: "eBPF needs root (or CAP_BPF+CAP_PERFMON+CAP_SYS_RESOURCE)" };
    return { ok: true, detail: `${c.bitcoinNodeBin} PID ${pid.pid}` };
  },
  p2p: (c) => {
    if (c.p2p) return { ok: true, detail: `connect to ${c.p2p.host}:${c.p2p.port}` };
    if (c.p2pListen) return { ok: true, detail: `listen on ${c.p2pListen.host}:${c.p2pListen.port}` };
    return { ok: false, reason: "no --p2p or --p2p-listen given" };
  },
  proc: (c) => {
    const pid = findNodePid(c);
    if (pid.pid === undefined) return { ok: false, reason: pid.why };
    if (!processAlive(pid.pid)) return { ok: false, reason: `no process with PID ${pid.pid} (from ${pid.from})` };
    return { ok: true, detail: `PID ${pid.pid} (from ${pid.from})` };
  },
};

export function discoverSources(c: ObserveConfig): SourcePlan[] {
  const names: readonly ObserveSourceName[] = c.sources === "auto" ? SOURCE_NAMES : c.sources;
  return names.map((name) => {
    const r = checks[name](c);
    return r.ok ? { name, start: true, detail: r.detail } : { name, start: false, reason: r.reason };
  });
}
