// The P2P pinger tells who the node is from its version message's user agent, on every connection.
import { describe, expect, it } from "vitest";
import { emitterFor, type PeerwatchEvent } from "../../src/events/index.js";
import { createLogger } from "../../src/logger.js";
import { p2pDescriptor } from "../../src/p2p/descriptor.js";
import { P2pSource } from "../../src/p2p/p2p-source.js";
import { sourceConfig } from "../../src/sources/types.js";
import { ScriptedNode } from "../helpers/scripted-node.js";
import { until } from "../helpers/wait.js";

describe("P2P pinger: node.info", () => {
  it("tells a Knots node's identity on connect and again on reconnect", async () => {
    const node = new ScriptedNode();
    node.userAgent = "/Satoshi:31.99.0/Knots:20250101-abc/";
    await node.listen();
    // Built from the P2P source's own rows, without the CLI.
    const config = sourceConfig(p2pDescriptor, { chain: "regtest", sources: "p2p", p2p: `127.0.0.1:${node.port}`, datadir: "/nonexistent" });
    const events: PeerwatchEvent[] = [];
    const ac = new AbortController();
    const done = new P2pSource().run({
      config,
      emit: emitterFor("p2p", "n", (e) => events.push(e)),
      log: createLogger({ level: "silent" }),
      signal: ac.signal,
    });
    const infos = () => events.filter((e) => e.type === "node.info").map((e) => e.data);
    await until(() => infos().length === 1);
    expect(infos()[0]).toEqual({
      implementation: "Bitcoin Knots",
      version: "31.99.0",
      implementationVersion: "20250101-abc",
      userAgent: "/Satoshi:31.99.0/Knots:20250101-abc/",
      ipcCapable: false,
      chain: "regtest",
    });
    for (const s of node.sockets) s.destroy(); // the node drops us; the pinger reconnects
    await until(() => infos().length === 2, 10_000);
    ac.abort();
    await done;
    await node.close();
  });
});
