// Runs bpftrace as a subprocess on one PID and turns its output into events. Lost events
// (`Lost N events`) and records that do not parse are summed and reported as events.dropped once
// a second, not once per line (loss comes as many small reports). Ends with a plain-words reason.
import { spawn, type ChildProcess } from "node:child_process";
import { StringDecoder } from "node:string_decoder";
import { DROP_REASONS, emitBatch, type Emit } from "../events/index.js";
import type { Logger } from "../logger.js";
import { parseLine } from "./line-parser.js";
import { generateProgram, strlenFor, type ProgramOptions } from "./program.js";

/** A line longer than this (peerwatch's program prints far shorter ones) is counted as unparseable and skipped. */
const MAX_LINE_CHARS = 1024 * 1024;

/** bpftrace's time to detach and exit on SIGINT before SIGKILL: within observe's 5 s stop budget. */
export const STOP_GRACE_MS = 3000;

export interface RunnerStats {
  events: number;
  lost: number;
  invalid: number;
  unexpected: number;
}

export interface RunOptions extends ProgramOptions {
  pid: number;
  bpftrace?: string;
  emit: Emit;
  log: Logger;
  signal: AbortSignal;
  /** Called once bpftrace says its probes are attached. */
  onAttached?: (probes: number) => void;
  dropReportMs?: number;
  /** How long bpftrace gets to exit after SIGINT before it is killed (default STOP_GRACE_MS). */
  stopGraceMs?: number;
}

/** bpftrace's stderr, turned into something an operator can act on. */
export function explainFailure(stderr: string, code: number | null, signal: string | null): string {
  const s = stderr;
  if (/Operation not permitted|EPERM|permission denied|must be run as root|running as the root user/i.test(s))
    return "bpftrace was refused: it needs root (or CAP_BPF+CAP_PERFMON+CAP_SYS_RESOURCE)";
  if (/No probes to attach|Could not resolve|no probes|Error finding or enabling probe|couldn't find|ERROR: usdt probe/i.test(s)) {
    return "bpftrace could not attach to the tracepoints: is the binary built with USDT (-DWITH_USDT=ON), and is it the one the PID runs?";
  }
  if (/No such process|does not exist|Failed to attach to PID|pid .* not found/i.test(s)) return "bpftrace could not find the node process (did it exit?)";
  if (/BPF stack limit/i.test(s)) return "the bpftrace program exceeds the 512-byte BPF stack: lower the payload capture size";
  if (/ENOENT|not found/i.test(s) && /bpftrace/i.test(s)) return "bpftrace is not installed (Debian: apt-get install bpftrace)";
  const last = s
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !/RLIMIT_MEMLOCK|failed to detach|uprobe_events/.test(l))
    .slice(-2)
    .join(" / ");
  return `bpftrace exited (${signal ?? `code ${code}`})${last ? `: ${last.slice(0, 300)}` : ""}`;
}

/** Runs until bpftrace exits or the signal aborts; resolves with why it ended. */
export function runBpftrace(o: RunOptions): { stats: RunnerStats; done: Promise<string> } {
  const stats: RunnerStats = { events: 0, lost: 0, invalid: 0, unexpected: 0 };
  const program = generateProgram(o);
  const child: ChildProcess = spawn(o.bpftrace ?? "bpftrace", ["-p", String(o.pid), "-e", program], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, BPFTRACE_STRLEN: String(strlenFor(o)) },
  });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => {
    if (stderr.length < 64 * 1024) stderr += d.toString();
  });
  // Loss and bad records, summed between reports.
  let pendingLost = 0;
  let lostSaturated = false;
  let pendingInvalid = 0;
  let lastInvalid = "";
  let probes = 0;
  const flush = () => {
    if (pendingLost > 0) {
      const reason = `${DROP_REASONS.bpftraceLost}: its perf buffer was full${lostSaturated ? " (at least this many: the count passed 2^53)" : ""}`;
      o.emit("events.dropped", { source: "ebpf", count: pendingLost, reason });
    }
    if (pendingInvalid > 0)
      o.emit("events.dropped", { source: "ebpf", count: pendingInvalid, reason: `${DROP_REASONS.bpftraceUnparseable} (last: ${lastInvalid})`.slice(0, 256) });
    pendingLost = 0;
    lostSaturated = false;
    pendingInvalid = 0;
  };
  const timer = setInterval(flush, o.dropReportMs ?? 1000);
  const onLine = (line: string): void => {
    const r = parseLine(line, o.payloadBytes);
    switch (r.kind) {
      case "event":
        stats.events++;
        o.emit(r.type, r.data);
        break;
      case "lost":
        stats.lost = Math.min(stats.lost + r.count, Number.MAX_SAFE_INTEGER);
        pendingLost += r.count;
        if (r.saturated || pendingLost > Number.MAX_SAFE_INTEGER) {
          pendingLost = Math.min(pendingLost, Number.MAX_SAFE_INTEGER);
          lostSaturated = true;
        }
        break;
      case "attaching":
        probes = r.probes - 1; // less the BEGIN probe
        break;
      case "ready":
        o.onAttached?.(probes);
        break;
      case "invalid":
        stats.invalid++;
        pendingInvalid++;
        lastInvalid = r.why;
        break;
      case "unexpected":
        stats.unexpected++;
        if (stats.unexpected <= 5) o.log.debug({ line: line.slice(0, 200) }, "unexpected bpftrace output");
        break;
    }
  };
  // The lines of one pipe read (up to 64 KiB, ~65 message records) go on the bus as one batch.
  const decoder = new StringDecoder("utf8");
  let rest = "";
  const tooLong = (): void => {
    stats.invalid++;
    pendingInvalid++;
    lastInvalid = `a line longer than ${MAX_LINE_CHARS} characters`;
  };
  child.stdout!.on("data", (chunk: Buffer) => {
    const text = rest + decoder.write(chunk);
    let start = 0;
    emitBatch(o.emit, () => {
      for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
        onLine(text.slice(start, nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl));
        start = nl + 1;
      }
    });
    rest = start === 0 ? text : text.slice(start);
    if (rest.length > MAX_LINE_CHARS) {
      tooLong();
      rest = "";
    }
  });
  child.stdout!.on("end", () => {
    const last = rest + decoder.end();
    rest = "";
    if (last !== "") onLine(last);
  });
  // bpftrace detaches and exits on SIGINT, but can take tens of seconds to do so (seen with
  // bpftrace 0.17 on a busy node: ~45 s), which held peerwatch's exit. After a grace period it is
  // killed: the kernel removes a dead process's probes itself.
  let killTimer: NodeJS.Timeout | undefined;
  const onAbort = () => {
    child.kill("SIGINT");
    killTimer = setTimeout(() => child.kill("SIGKILL"), o.stopGraceMs ?? STOP_GRACE_MS);
    killTimer.unref();
  };
  o.signal.addEventListener("abort", onAbort, { once: true });
  const done = new Promise<string>((resolve) => {
    let spawnError: string | undefined;
    child.once("error", (e: NodeJS.ErrnoException) => {
      spawnError = e.code === "ENOENT" ? "bpftrace is not installed (Debian: apt-get install bpftrace)" : `cannot run bpftrace: ${e.message}`;
    });
    child.once("close", (code, sig) => {
      clearInterval(timer);
      clearTimeout(killTimer);
      o.signal.removeEventListener("abort", onAbort);
      flush();
      resolve(spawnError ?? (o.signal.aborted ? "stopped" : explainFailure(stderr, code, sig)));
    });
  });
  return { stats, done };
}
