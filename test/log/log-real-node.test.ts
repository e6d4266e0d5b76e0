// The log source against a real Bitcoin Core on regtest with -debug=net,mempool,validation (runs
// when BITCOIND or BITCOIN_NODE and BITCOIN_CLI point at binaries; says that it skips otherwise):
// a peer connecting and leaving, and mined blocks, appear as events read from its debug.log.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PeerwatchEvent } from "../../src/events/index.js";
import { LiveCli } from "../helpers/cli.js";
import { RealNode, realNodeBinaries } from "../helpers/real-node.js";
import { ScriptedNode } from "../helpers/scripted-node.js";
import { reportSkip } from "../helpers/skip.js";

const bins = realNodeBinaries("any");
const TITLE = "log source against a real node";

describe.skipIf("skip" in bins)(TITLE, () => {
  let node: RealNode;
  const state = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pw-logreal-")), "state.json");
  beforeAll(async () => {
    const b = bins as { node: string; cli: string };
    node = new RealNode(b.node, b.cli, ["-debug=net", "-debug=mempool", "-debug=validation", "-logthreadnames", "-logtimemicros"]);
    await node.start();
  });
  afterAll(() => node?.stop());

  it("turns a peer's connect and disconnect and mined blocks into events", async () => {
    const cli = new LiveCli([
      "observe",
      "--sources",
      "log",
      "--chain",
      "regtest",
      "--datadir",
      node.datadir,
      "--log-state",
      state,
      "--events",
      "-",
      "--metrics",
      "off",
    ]);
    // Started after the node: the identity comes from reading back to its startup line.
    const info = await cli.waitFor((e) => e.type === "node.info", 15_000);
    expect(info.data).toMatchObject({ implementation: "Bitcoin Core", chain: "regtest" });

    // A v1 peer (the scripted node) connects, completes the handshake, and leaves.
    const peer = new ScriptedNode();
    await peer.connect(node.p2pPort);
    const connected = (await cli.waitFor((e) => e.type === "net.connection" && e.data.kind === "inbound", 15_000)) as PeerwatchEvent<"net.connection">;
    expect(connected.source).toBe("log");
    expect(connected.data).toMatchObject({ connType: "inbound", transport: "v1", version: 70017 });
    expect(connected.data.addr).toMatch(/^127\.0\.0\.1:\d+$/);
    await peer.close();
    const closed = (await cli.waitFor((e) => e.type === "net.connection" && e.data.kind === "closed", 15_000)) as PeerwatchEvent<"net.connection">;
    expect(closed.data.peerId).toBe(connected.data.peerId);

    // Three blocks mined to OP_TRUE.
    const desc = (JSON.parse(await node.cli("getdescriptorinfo", "raw(51)")) as { descriptor: string }).descriptor;
    const hashes = JSON.parse(await node.cli("generatetodescriptor", "3", desc)) as string[];
    for (const h of hashes) await cli.waitFor((e) => e.type === "tip.changed" && (e.data as { hash: string }).hash === h, 15_000);
    await cli.waitFor((e) => e.type === "block.seen" && (e.data as { hash: string }).hash === hashes[2], 15_000);
    const tip = cli.events.find((e) => e.type === "tip.changed" && (e.data as { hash: string }).hash === hashes[2]) as PeerwatchEvent<"tip.changed">;
    expect(tip.data.height).toBe(Number(await node.cli("getblockcount")));
    expect(await cli.stop()).toBe(0);
  }, 120_000);
});

if ("skip" in bins) reportSkip(TITLE, bins.skip);
