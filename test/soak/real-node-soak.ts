// The soak on a real Bitcoin Core: a regtest `bitcoin-node -ipcbind=unix -debug=net` and a
// `bitcoind` peer connected to it; a block every 3 s (with the wallet built: 101 blocks first and a
// `sendtoaddress` per block) and an RPC `ping` each round. eBPF joins as root with bpftrace.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { RealNode } from "../helpers/real-node.js";
import type { SoakTarget } from "./soak-run.js";

const ROUND_MS = 3000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Why the real-node soak does not run (unless asked for, only with PEERWATCH_SOAK=1), or undefined when it does. */
export function realNodeSoakSkip(asked = false): string | undefined {
  if (!asked && process.env.PEERWATCH_SOAK !== "1") return "set PEERWATCH_SOAK=1 (and BITCOIN_NODE, BITCOIND, BITCOIN_CLI) to run it";
  const missing = ["BITCOIN_NODE", "BITCOIND", "BITCOIN_CLI"].filter((v) => !process.env[v]);
  if (missing.length) return `set ${missing.join(", ")} to Bitcoin Core binaries to run it`;
  for (const v of ["BITCOIN_NODE", "BITCOIND", "BITCOIN_CLI"]) if (!fs.existsSync(process.env[v]!)) return `${v}=${process.env[v]} does not exist`;
  return undefined;
}

function bpftraceFound(): boolean {
  try {
    execFileSync("bpftrace", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export async function startRealNodes(): Promise<SoakTarget> {
  const [BITCOIN_NODE, BITCOIND, BITCOIN_CLI] = (["BITCOIN_NODE", "BITCOIND", "BITCOIN_CLI"] as const).map((v) => process.env[v] ?? "") as [
    string,
    string,
    string,
  ];
  const ebpf = process.getuid?.() === 0 && bpftraceFound();
  const a = new RealNode(BITCOIN_NODE, BITCOIN_CLI, ["-debug=net", "-fallbackfee=0.0001"]);
  const b = new RealNode(BITCOIND, BITCOIN_CLI, ["-fallbackfee=0.0001"]);
  const stats = { rounds: 0, blocks: 0, sends: 0, pings: 0, errors: 0, notes: [] as string[] };
  const stop = async () => {
    for (const n of [b, a]) {
      await n.stop().catch(() => {});
      fs.rmSync(n.datadir, { recursive: true, force: true });
    }
  };
  try {
    await a.start();
    await b.start();
    await b.cli("addnode", `127.0.0.1:${a.p2pPort}`, "add");
  } catch (e) {
    await stop();
    throw e;
  }
  const traffic = async (stopAt: number) => {
    let wallet = false;
    let to = "";
    try {
      await a.cli("-named", "createwallet", "wallet_name=soak");
      await b.cli("-named", "createwallet", "wallet_name=soak");
      to = await b.cli("getnewaddress");
      await a.cli("generatetoaddress", "101", await a.cli("getnewaddress"));
      stats.blocks += 101;
      wallet = true;
    } catch (e) {
      stats.notes.push(`no wallet (${String((e as Error).message).split("\n")[0]}): blocks and pings only`);
    }
    const addr = wallet ? await a.cli("getnewaddress") : "bcrt1qjqmxmkpmxt80xz4y3746zgt0q3u3ferr34acd5";
    while (Date.now() < stopAt) {
      try {
        await a.cli("generatetoaddress", "1", addr);
        stats.blocks++;
        if (wallet) {
          await a.cli("sendtoaddress", to, "0.01");
          stats.sends++;
        }
        await a.cli("ping");
        stats.pings++;
      } catch (e) {
        if (++stats.errors <= 3) stats.notes.push(`traffic: ${String((e as Error).message).split("\n")[0]}`);
      }
      stats.rounds++;
      await sleep(ROUND_MS);
    }
  };
  return {
    sources: ["ipc", ...(ebpf ? ["ebpf"] : []), "rpc", "p2p", "proc", "log"],
    args: [
      "--chain",
      "regtest",
      "--datadir",
      a.datadir,
      "--rpc-url",
      `http://127.0.0.1:${a.rpcPort}`,
      "--p2p",
      `127.0.0.1:${a.p2pPort}`,
      "--pid",
      String(a.pid),
      "--log-state",
      path.join(a.datadir, "peerwatch-log-state.json"),
      ...(ebpf ? ["--bitcoin-node-bin", BITCOIN_NODE] : []),
    ],
    notes: ebpf ? [] : ["no eBPF: it needs root and bpftrace"],
    traffic,
    // a round that mined no block did not exercise anything
    rounds: () => stats.blocks,
    trafficLines: () => [
      `traffic         ${stats.blocks} blocks, ${stats.sends} wallet sends, ${stats.pings} pings, ${stats.errors} errors`,
      ...stats.notes.map((n) => `note            ${n}`),
    ],
    stop,
  };
}
