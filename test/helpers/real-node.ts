// A real Bitcoin Core on regtest, for the tests that need one. They run when BITCOIN_NODE (the
// multiprocess bitcoin-node; or BITCOIND where -ipcbind is not needed) and BITCOIN_CLI point at
// binaries, and say clearly that they skip otherwise.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export function realNodeBinaries(kind: "bitcoin-node" | "any"): { node: string; cli: string } | { skip: string } {
  const node = kind === "bitcoin-node" ? process.env.BITCOIN_NODE : (process.env.BITCOIN_NODE ?? process.env.BITCOIND);
  const cli = process.env.BITCOIN_CLI;
  const want = kind === "bitcoin-node" ? "BITCOIN_NODE" : "BITCOIN_NODE or BITCOIND";
  if (!node || !cli) return { skip: `set ${want} and BITCOIN_CLI to Bitcoin Core binaries to run it` };
  for (const b of [node, cli]) if (!fs.existsSync(b)) return { skip: `${b} does not exist` };
  return { node, cli };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export class RealNode {
  readonly datadir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-btc-"));
  rpcPort = 0;
  p2pPort = 0;
  private child: ChildProcess | undefined;

  constructor(
    readonly bin: string,
    readonly cliBin: string,
    readonly extraArgs: string[] = [],
  ) {}

  get chainDir(): string {
    return path.join(this.datadir, "regtest");
  }
  get ipcSocket(): string {
    return path.join(this.chainDir, "node.sock");
  }
  get cookie(): string {
    return path.join(this.chainDir, ".cookie");
  }
  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    this.rpcPort ||= await freePort();
    this.p2pPort ||= await freePort();
    const ipc = path.basename(this.bin).startsWith("bitcoin-node") ? ["-ipcbind=unix"] : [];
    this.child = spawn(
      this.bin,
      [
        `-datadir=${this.datadir}`,
        "-regtest",
        "-server",
        `-rpcport=${this.rpcPort}`,
        `-port=${this.p2pPort}`,
        "-bind=127.0.0.1",
        "-listen=1",
        "-dnsseed=0",
        "-fixedseeds=0",
        "-listenonion=0",
        "-printtoconsole=0",
        ...ipc,
        ...this.extraArgs,
      ],
      { stdio: "ignore" },
    );
    await this.cli("-rpcwait", "-rpcwaittimeout=60", "getblockchaininfo");
  }

  async cli(...args: string[]): Promise<string> {
    const { stdout } = await run(this.cliBin, [`-datadir=${this.datadir}`, "-regtest", `-rpcport=${this.rpcPort}`, ...args]);
    return stdout.trim();
  }

  /** SIGKILL, as a crash or the OOM killer would: no clean shutdown, stale PID file, socket and cookie left behind. */
  async kill(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once("exit", r));
    c.kill("SIGKILL");
    await exited;
  }

  /** Mines n blocks to an anyone-can-spend script (no wallet needed); returns their hashes. */
  async mine(n = 1): Promise<string[]> {
    const { descriptor } = JSON.parse(await this.cli("getdescriptorinfo", "raw(51)")) as { descriptor: string };
    return JSON.parse(await this.cli("generatetodescriptor", String(n), descriptor)) as string[];
  }

  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child!.once("exit", r));
    await this.cli("stop").catch(() => this.child?.kill("SIGKILL"));
    await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
    if (this.child.exitCode === null) this.child.kill("SIGKILL");
  }
}
