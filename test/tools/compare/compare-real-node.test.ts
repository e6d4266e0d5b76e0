// `peerwatch compare` against a real bitcoin-node on regtest (runs when BITCOIN_NODE and BITCOIN_CLI
// point at binaries built with IPC). Mines blocks while IPC, the HTTP RPC poller, /proc, the P2P
// pinger (for message traffic) and, as root with bpftrace, eBPF run side by side; with a node patched
// with the net-message tracing interface, IPC tracing and eBPF are matched message for message.
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CompareReport } from "../../../src/tools/compare/report.js";
import { runCli } from "../../helpers/cli.js";
import { RealNode, realNodeBinaries } from "../../helpers/real-node.js";
import { reportSkip } from "../../helpers/skip.js";

const bins = realNodeBinaries("bitcoin-node");
const ebpf = process.getuid?.() === 0 && !spawnSync("bpftrace", ["--version"]).error;

describe.skipIf("skip" in bins)("peerwatch compare against a real bitcoin-node", () => {
  let node: RealNode;
  beforeAll(async () => {
    const b = bins as { node: string; cli: string };
    node = new RealNode(b.node, b.cli);
    await node.start();
  }, 90_000);
  afterAll(() => node?.stop(), 60_000);

  it("reports which source saw the mined blocks, and when, and what each cost", async () => {
    const sources = ["ipc", "rpc", "proc", "p2p", ...(ebpf ? ["ebpf"] : [])].join(",");
    const run = runCli(
      [
        "compare",
        "--chain",
        "regtest",
        "--datadir",
        node.datadir,
        "--sources",
        sources,
        "--bitcoin-node-bin",
        node.bin,
        "--rpc-url",
        `http://127.0.0.1:${node.rpcPort}`,
        "--p2p",
        `127.0.0.1:${node.p2pPort}`,
        "--ping-interval",
        "0.5",
        "--rpc-interval",
        "1",
        "--proc-interval",
        "1",
        "--duration",
        "12",
        "--json",
        "--log-level",
        "warn",
      ],
      { timeoutMs: 60_000 },
    );
    await new Promise((r) => setTimeout(r, 4000));
    const { descriptor } = JSON.parse(await node.cli("getdescriptorinfo", "raw(51)")) as { descriptor: string };
    for (let i = 0; i < 3; i++) {
      await node.cli("generatetodescriptor", "1", descriptor);
      await new Promise((r) => setTimeout(r, 1500));
    }
    const r = await run;
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout) as CompareReport;
    expect(rep.blocks.ipc).toMatchObject({ seen: 3, of: 3 });
    expect(rep.blocks.rpc!.seen).toBeGreaterThanOrEqual(1);
    expect(rep.cost.node.cpuPerSecond).not.toBeNull();
    expect(rep.cost.peerwatch.cpuPerSecond).toBeGreaterThan(0);
    if (rep.sources.ebpf?.capabilities.includes("validation")) {
      expect(rep.blocks.ebpf).toMatchObject({ seen: 3, of: 3 });
      expect(rep.cost.bpftrace.cpuPerSecond).not.toBeNull();
    } else console.warn(`compare real-node test: eBPF not compared (${rep.sources.ebpf?.detail ?? "not root or no bpftrace"})`);
    if (rep.sources.ipc?.capabilities.includes("net-tracing")) {
      // The pinger's pings reached the node: IPC tracing saw them.
      expect(rep.messages.bySource.ipc!.messages).toBeGreaterThan(0);
    } else console.warn("compare real-node test: the node serves no IPC net-message tracing (not the patched fork); messages not compared");
  }, 90_000);
});

if ("skip" in bins) reportSkip("peerwatch compare against a real bitcoin-node", bins.skip);
