// Drives the C++ stand-in node: start it on a socket, send control commands, kill and restart it.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { inject } from "vitest";
import { CAPTURE_DIR } from "./capture.js";

/** The stand-in binary, or a loud skip reason. */
export function standinBinary(): { path: string } | { skip: string } {
  const r = inject("standinNode");
  return r;
}

export class Standin {
  private child: ChildProcessWithoutNullStreams | undefined;
  private out = "";
  private waiters: (() => void)[] = [];
  readonly socket: string;

  constructor(
    private readonly bin: string,
    private readonly flags: string[] = [],
    socket?: string,
    private readonly rpcDir = path.join(CAPTURE_DIR, "rpc"),
  ) {
    this.socket = socket ?? path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pw-ipc-")), "node.sock");
  }

  async start(): Promise<void> {
    this.out = "";
    const child = spawn(this.bin, [this.socket, this.rpcDir, ...this.flags], { stdio: "pipe" });
    this.child = child;
    child.stdout.on("data", (d: Buffer) => {
      this.out += d.toString();
      for (const w of this.waiters.splice(0)) w();
    });
    child.stderr.on("data", (d: Buffer) => process.env.PW_DEBUG && process.stderr.write(`[standin] ${d}`));
    // A command written just as the stand-in dies (killed by a drill, or at the stop) fails with EPIPE on
    // its stdin, asynchronously: without a listener that is an uncaught exception of the test run.
    // send() says the stand-in is gone instead.
    child.stdin.on("error", () => {});
    await this.waitOutput(/^listening /m, 10000);
  }

  private async waitOutput(re: RegExp, ms: number, from = 0): Promise<string> {
    const end = Date.now() + ms;
    for (;;) {
      const m = re.exec(this.out.slice(from));
      if (m) return m[0];
      if (Date.now() > end) throw new Error(`stand-in did not print ${re} in ${ms} ms; output: ${this.out}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Sends one control command and waits (5 s unless told) for its "ok"/"stats"/"error" line (or the line `reply` matches). */
  async send(cmd: string, ms = 5000, reply = /^(ok|stats|error).*$/m): Promise<string> {
    if (!this.alive) throw new Error(`stand-in is not running: cannot send "${cmd}"`);
    const from = this.out.length;
    this.child!.stdin.write(`${cmd}\n`);
    return this.waitOutput(reply, ms, from);
  }

  /** The stand-in's process id (for --pid: its threads stand for the node's in cost reports). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGKILL, like a crash: the socket file stays behind, connections drop. */
  async kill(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((r) => {
      c.once("exit", () => r());
      c.kill("SIGKILL");
    });
  }

  async stop(): Promise<void> {
    await this.kill();
    fs.rmSync(this.socket, { force: true });
  }
}

/** `peerwatch observe` on IPC alone against a socket, events to stdout and no metrics listener; extra flags after. */
export function observeIpc(socket: string, ...extra: string[]): string[] {
  return ["observe", "--sources", "ipc", "--ipc-socket", socket, "--events", "-", "--metrics", "off", ...extra];
}
