// The eBPF source on a real bitcoin-node (runs when BITCOIN_NODE and BITCOIN_CLI are set, as
// root with bpftrace): a second node connects, and the handshake shows up as net.message events.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bpftraceAvailable } from "../helpers/build-fixtures.js";
import { LiveCli } from "../helpers/cli.js";
import { RealNode, realNodeBinaries } from "../helpers/real-node.js";
import { reportSkip } from "../helpers/skip.js";

const bins = realNodeBinaries("bitcoin-node");
const bt = bpftraceAvailable();
const skip = "skip" in bins ? bins.skip : "skip" in bt ? bt.skip : undefined;

describe.skipIf(skip !== undefined)("eBPF on a real bitcoin-node", () => {
  let a: RealNode;
  let b: RealNode;
  let cli: LiveCli;
  beforeAll(async () => {
    const x = bins as { node: string; cli: string };
    a = new RealNode(x.node, x.cli);
    b = new RealNode(x.node, x.cli);
    await a.start();
    await b.start();
  });
  afterAll(async () => {
    await cli?.stop();
    await b?.stop();
    await a?.stop();
  });

  it("shows the handshake of a connecting peer with the right sizes", async () => {
    cli = new LiveCli([
      "observe",
      "--sources",
      "ebpf",
      "--bitcoin-node-bin",
      (bins as { node: string }).node,
      "--pid",
      String(a.pid),
      "--events",
      "-",
      "--metrics",
      "off",
    ]);
    await cli.waitFor((e) => e.type === "source.status" && e.data.state === "up", 60_000);
    await b.cli("addnode", `127.0.0.1:${a.p2pPort}`, "onetry");
    await cli.waitFor((e) => e.type === "net.message" && e.data.msgType === "pong", 30_000);
    const msgs = cli.events
      .filter((e) => e.type === "net.message")
      .map((e) => e.data as { direction: string; msgType: string; size: number; decoded?: { nonce?: string; version?: { version: number } } });
    const version = msgs.find((m) => m.direction === "in" && m.msgType === "version");
    expect(version?.size).toBeGreaterThanOrEqual(100);
    expect(version?.decoded?.version?.version).toBe(70017);
    expect(msgs.find((m) => m.msgType === "verack")?.size).toBe(0);
    // every pong answers a ping of the other direction with the same 8-byte nonce
    const pong = msgs.find((m) => m.msgType === "pong");
    expect(pong?.size).toBe(8);
    const ping = msgs.find((m) => m.msgType === "ping" && m.decoded?.nonce === pong?.decoded?.nonce);
    expect(ping, "the ping this pong answers").toBeDefined();
    expect(ping?.direction).not.toBe(pong?.direction);
    await cli.waitFor((e) => e.type === "net.connection" && e.data.kind === "inbound", 5000);
  });
});

if (skip) reportSkip("eBPF on a real bitcoin-node", skip);
