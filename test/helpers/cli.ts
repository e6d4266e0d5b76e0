// Runs the built CLI (bin/peerwatch.js → dist/) as a user would, and collects its events.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { decodeEventLine, type PeerwatchEvent } from "../../src/events/index.js";
import { REPO_ROOT } from "./capture.js";

export const CLI = path.join(REPO_ROOT, "bin/peerwatch.js");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  events: PeerwatchEvent[];
}

/** Parse NDJSON events; a line that is not a valid event fails the test. */
export function parseEvents(stdout: string): PeerwatchEvent[] {
  return stdout
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l, i) => {
      const r = decodeEventLine(l, `stdout line ${i + 1}`);
      if (!r.ok) throw new Error(`CLI printed an invalid event: ${JSON.stringify(r.error)}`);
      return r.value;
    });
}

/** `as`: run as another user (the caller must be root), e.g. one that may not write a file root owns. */
export function runCli(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string; as?: { uid: number; gid: number } } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: opts.cwd ?? REPO_ROOT,
      env: { ...cleanEnv(), ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
      ...opts.as,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`peerwatch ${args.join(" ")} did not exit in ${opts.timeoutMs ?? 20000} ms\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? 20000);
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      try {
        // Only a run that streams events to stdout has events to check.
        const streams = args.includes("--events") && args[args.indexOf("--events") + 1] === "-";
        resolve({ code, stdout, stderr, events: code === 0 && streams ? parseEvents(stdout) : [] });
      } catch (e) {
        reject(e);
      }
    });
  });
}

/** A long-running CLI whose events can be awaited as they arrive. */
export class LiveCli {
  readonly child: ChildProcess;
  readonly events: PeerwatchEvent[] = [];
  stderr = "";
  private buf = "";
  private waiters: (() => void)[] = [];
  readonly exited: Promise<number | null>;

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env: { ...cleanEnv(), ...env }, stdio: ["ignore", "pipe", "pipe"] });
    this.child.stdout!.on("data", (d: Buffer) => {
      this.buf += d.toString();
      const lines = this.buf.split("\n");
      this.buf = lines.pop() ?? "";
      for (const l of lines) if (l.trim()) this.events.push(...parseEvents(l));
      for (const w of this.waiters.splice(0)) w();
    });
    this.child.stderr!.on("data", (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((r) => this.child.on("close", (code) => r(code)));
  }

  /** Waits until an event matching `pred` has arrived (after index `from`), returns it. */
  async waitFor(pred: (e: PeerwatchEvent) => boolean, timeoutMs = 10000, from = 0): Promise<PeerwatchEvent> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.slice(from).find(pred);
      if (found) return found;
      const left = end - Date.now();
      if (left <= 0)
        throw new Error(
          `event not seen in ${timeoutMs} ms; got types: ${[...new Set(this.events.map((e) => e.type))].join(", ")}\nstderr tail: ${this.stderr.slice(-2000)}`,
        );
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill("SIGTERM");
    return this.exited;
  }
}

/** The environment without any PEERWATCH_* settings of the developer's shell. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("PEERWATCH_") && k !== "VITEST"));
}
