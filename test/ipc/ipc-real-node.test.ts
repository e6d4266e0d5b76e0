// The IPC source against a real bitcoin-node on regtest (runs when BITCOIN_NODE and BITCOIN_CLI
// point at binaries built with IPC).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PeerwatchEvent } from "../../src/events/index.js";
import { LiveCli } from "../helpers/cli.js";
import { RealNode, realNodeBinaries } from "../helpers/real-node.js";
import { reportSkip } from "../helpers/skip.js";

const bins = realNodeBinaries("bitcoin-node");

describe.skipIf("skip" in bins)("peerwatch observe --sources ipc against a real bitcoin-node", () => {
  let node: RealNode;
  let cli: LiveCli;
  beforeAll(async () => {
    const b = bins as { node: string; cli: string };
    node = new RealNode(b.node, b.cli);
    await node.start();
    cli = new LiveCli([
      "observe",
      "--chain",
      "regtest",
      "--datadir",
      node.datadir,
      "--sources",
      "ipc",
      "--events",
      "-",
      "--metrics",
      "off",
      "--rpc-interval",
      "1",
    ]);
  });
  afterAll(async () => {
    await cli?.stop();
    await node?.stop();
  });

  it("reports up with rpc and mining, then pushes tip.changed for a mined block", async () => {
    const up = await cli.waitFor((e) => e.type === "source.status" && e.data.state === "up", 30_000);
    expect(up.data).toMatchObject({ capabilities: expect.arrayContaining(["echo", "rpc", "mining"]) });
    await cli.waitFor((e) => e.type === "tip.changed" && e.data.height === 0, 10_000);
    const from = cli.events.length;
    // mine to an anyone-can-spend script; no wallet needed
    const { descriptor } = JSON.parse(await node.cli("getdescriptorinfo", "raw(51)")) as { descriptor: string };
    const [hash] = JSON.parse(await node.cli("generatetodescriptor", "1", descriptor)) as string[];
    const tip = await cli.waitFor((e: PeerwatchEvent) => e.type === "tip.changed" && e.data.height === 1, 10_000, from);
    expect(tip.data).toEqual({ height: 1, hash });
  });

  it("accounts for every block of generatetodescriptor 3: pushed, or named in a later push's skippedBlocks", async () => {
    await cli.waitFor((e) => e.type === "tip.changed" && e.data.height === 1, 10_000);
    const from = cli.events.length;
    const { descriptor } = JSON.parse(await node.cli("getdescriptorinfo", "raw(51)")) as { descriptor: string };
    const hashes = JSON.parse(await node.cli("generatetodescriptor", "3", descriptor)) as string[];
    await cli.waitFor((e) => e.type === "tip.changed" && e.data.height === 4, 10_000, from);
    const tips = cli.events.slice(from).filter((e): e is PeerwatchEvent<"tip.changed"> => e.type === "tip.changed");
    const reported = new Map<number, string>();
    for (const t of tips) {
      reported.set(t.data.height, t.data.hash);
      for (const b of t.data.skippedBlocks ?? []) reported.set(b.height, b.hash);
      expect(t.data.skipped ?? 0).toBe(t.data.skippedBlocks?.length ?? 0);
    }
    expect([2, 3, 4].map((h) => reported.get(h))).toEqual(hashes);
    console.log(`generatetodescriptor 3: ${tips.length} tip.changed pushes, skipped ${tips.map((t) => t.data.skipped ?? 0).join(",")}`);
  });

  it("emits peers.snapshot over executeRpc", async () => {
    const snap = await cli.waitFor((e) => e.type === "peers.snapshot", 15_000);
    expect(snap.data).toEqual({ peers: [] });
    await cli.waitFor((e) => e.type === "rpc.snapshot" && e.data.method === "getblockchaininfo", 15_000);
  });
});

if ("skip" in bins) reportSkip("peerwatch observe --sources ipc against a real bitcoin-node", bins.skip);
