// A Bitcoin Core node the lab starts (or finds running): regtest only, loopback only, its own
// datadir and ports. RPC goes through the project's own HTTP transport with the node's cookie.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { HttpRpcTransport } from "../src/rpc/http-transport.js";
import { LabError, assertLoopback, assertRegtest } from "./safety.js";

export interface NodeSpec {
  bin: string;
  datadir: string;
  port: number;
  rpcPort: number;
  /** Flags beyond the lab's base set (which the README and the scorecard list). */
  extraArgs?: string[];
}

/** The flags every lab node runs with; the runner adds its scenario-shortening ones (see run.ts). */
export function baseArgs(s: NodeSpec): string[] {
  const multiprocess = path.basename(s.bin).startsWith("bitcoin-node");
  return [
    "-regtest",
    `-datadir=${s.datadir}`,
    `-port=${s.port}`,
    `-rpcport=${s.rpcPort}`,
    `-bind=127.0.0.1:${s.port}`,
    "-rpcbind=127.0.0.1",
    "-rpcallowip=127.0.0.1",
    "-listen=1",
    "-server=1",
    "-dnsseed=0",
    "-fixedseeds=0",
    "-listenonion=0",
    "-discover=0",
    "-natpmp=0",
    "-printtoconsole=0",
    ...(multiprocess ? ["-ipcbind=unix"] : []),
  ];
}

export class LabNode {
  private child: ChildProcess | undefined;
  private transport: HttpRpcTransport | undefined;

  constructor(readonly spec: NodeSpec) {}

  get chainDir(): string {
    return path.join(this.spec.datadir, "regtest");
  }
  get pid(): number | undefined {
    return this.child?.pid;
  }
  get args(): string[] {
    return [...baseArgs(this.spec), ...(this.spec.extraArgs ?? [])];
  }

  /** Starts the node and waits (bounded) until RPC answers and says regtest. */
  async start(timeoutMs = 120_000): Promise<void> {
    fs.mkdirSync(this.spec.datadir, { recursive: true });
    this.child = spawn(this.spec.bin, this.args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    this.child.stderr?.on("data", (b: Buffer) => (stderr = (stderr + b.toString()).slice(-2000)));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.child.exitCode !== null) throw new LabError(`${this.spec.bin} exited with ${this.child.exitCode}: ${stderr.trim()}`);
      try {
        await assertRegtest(this);
        return;
      } catch (e) {
        if ((e as Error).name === "LabSafetyError") throw e;
        if (Date.now() > deadline) throw new LabError(`node on RPC port ${this.spec.rpcPort} did not answer within ${timeoutMs} ms: ${(e as Error).message}`);
        this.transport?.close();
        this.transport = undefined;
        await sleep(500);
      }
    }
  }

  async call(method: string, params: readonly unknown[] = []): Promise<unknown> {
    this.transport ??= new HttpRpcTransport({
      url: `http://127.0.0.1:${this.spec.rpcPort}`,
      credentials: { kind: "cookie", path: path.join(this.chainDir, ".cookie") },
      timeoutMs: 60_000,
    });
    return this.transport.call(method, params);
  }

  /** Stops over RPC and waits (bounded) for the process to exit; SIGKILL as a last resort. */
  async stop(timeoutMs = 60_000): Promise<void> {
    const c = this.child;
    try {
      await this.call("stop");
    } catch {
      /* already going */
    }
    this.transport?.close();
    this.transport = undefined;
    if (!c) return;
    const exited = c.exitCode !== null ? Promise.resolve() : new Promise<void>((r) => c.once("exit", () => r()));
    const t = setTimeout(() => c.kill("SIGKILL"), timeoutMs);
    await exited;
    clearTimeout(t);
    this.child = undefined;
  }

  /** Connects this node to another lab node (both on loopback). */
  async addPeer(host: string, port: number): Promise<void> {
    assertLoopback(host);
    await this.call("addnode", [`${host}:${port}`, "onetry"]);
  }
}
