// The P2P pinger against a real Bitcoin Core on regtest (runs when BITCOIND or BITCOIN_NODE and
// BITCOIN_CLI point at binaries).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { USER_AGENT } from "../../src/p2p/peer-connection.js";
import { LiveCli } from "../helpers/cli.js";
import { RealNode, freePort, realNodeBinaries } from "../helpers/real-node.js";
import { reportSkip } from "../helpers/skip.js";

const bins = realNodeBinaries("any");

describe.skipIf("skip" in bins)("P2P pinger against a real node", () => {
  let node: RealNode;
  beforeAll(async () => {
    const b = bins as { node: string; cli: string };
    node = new RealNode(b.node, b.cli);
    await node.start();
  });
  afterAll(() => node?.stop());

  it("connect mode: at least 3 ping.rtt in 3 s with --ping-interval 1", async () => {
    const cli = new LiveCli([
      "observe",
      "--sources",
      "p2p",
      "--chain",
      "regtest",
      "--p2p",
      `127.0.0.1:${node.p2pPort}`,
      "--ping-interval",
      "1",
      "--events",
      "-",
      "--metrics",
      "off",
      "--duration",
      "3.5",
    ]);
    await cli.exited;
    const rtts = cli.events.filter((e) => e.type === "ping.rtt");
    expect(rtts.length, cli.stderr).toBeGreaterThanOrEqual(3);
    for (const e of rtts) expect((e.data as { rttNs: number }).rttNs).toBeLessThan(1e9);
    const peers = JSON.parse(await node.cli("getpeerinfo")) as { subver: string }[];
    expect(
      peers.every((p) => p.subver !== USER_AGENT),
      "the pinger disconnected when it stopped",
    ).toBe(true);
  });

  it("listen mode: the node connects with -addnode", async () => {
    const port = await freePort();
    const cli = new LiveCli([
      "observe",
      "--sources",
      "p2p",
      "--chain",
      "regtest",
      "--p2p-listen",
      `127.0.0.1:${port}`,
      "--ping-interval",
      "1",
      "--events",
      "-",
      "--metrics",
      "off",
    ]);
    await cli.waitFor((e) => e.type === "source.status" && e.data.state === "degraded");
    await node.cli("addnode", `127.0.0.1:${port}`, "onetry");
    await cli.waitFor((e) => e.type === "ping.rtt", 15_000);
    expect(await cli.stop()).toBe(0);
  });
});

if ("skip" in bins) reportSkip("P2P pinger against a real node", bins.skip);
