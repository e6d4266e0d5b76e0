// `peerwatch observe --sources ipc` end to end against the stand-in node: events out of the CLI.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PeerwatchEvent } from "../../src/events/index.js";
import { LiveCli } from "../helpers/cli.js";
import { observeIpc, Standin, standinBinary } from "../helpers/standin.js";
import { reportSkip } from "../helpers/skip.js";

const bin = standinBinary();
const skip = "skip" in bin;

const status = (state: string) => (e: PeerwatchEvent) => e.type === "source.status" && e.data.source === "ipc" && e.data.state === state;
const hash = (n: number) => n.toString(16).padStart(64, "0");

describe.skipIf(skip)("peerwatch observe --sources ipc against the stand-in node", () => {
  let node: Standin;
  let cli: LiveCli;
  beforeAll(async () => {
    node = new Standin((bin as { path: string }).path, ["--tracing"]);
    await node.start();
    cli = new LiveCli(observeIpc(node.socket, "--rpc-interval", "0.5", "--node-name", "standin"));
    await cli.waitFor(status("up"));
  });
  afterAll(async () => {
    await cli?.stop();
    await node?.stop();
  });

  it("reports up with the interfaces it found, net-tracing once subscribed", async () => {
    const up = await cli.waitFor((e) => status("up")(e) && ((e.data as { capabilities?: string[] }).capabilities ?? []).includes("net-tracing"));
    expect(up.data).toMatchObject({ capabilities: ["echo", "rpc", "mining", "net-tracing"] });
    expect(up.node).toBe("standin");
  });

  it("pushes tip.changed within 50 ms of a tip change (median of 5)", async () => {
    const lags: number[] = [];
    for (let i = 1; i <= 5; i++) {
      const from = cli.events.length;
      const sentUs = Date.now() * 1000;
      await node.send(`tip ${100 + i} ${hash(0xabc0 + i)}`);
      const e = await cli.waitFor((x) => x.type === "tip.changed" && x.data.height === 100 + i, 5000, from);
      // The first jumps from the genesis tip (height 0): only the later ones are single blocks.
      expect(e.data).toMatchObject({ height: 100 + i, hash: hash(0xabc0 + i) });
      if (i > 1) expect(e.data).toEqual({ height: 100 + i, hash: hash(0xabc0 + i) });
      lags.push((e.ts - sentUs) / 1000);
    }
    lags.sort((a, b) => a - b);
    expect(lags[2]).toBeLessThan(50);
  });

  it("reports a tip that jumps (blocks connected before one push) with the heights it passed over, named over executeRpc", async () => {
    let from = cli.events.length;
    await node.send(`tip 300 ${hash(300)}`);
    await cli.waitFor((x) => x.type === "tip.changed" && x.data.height === 300, 5000, from);
    // Like generatetoaddress 3: three blocks connect, waitTipChanged returns the last.
    from = cli.events.length;
    await node.send(`block 301 ${hash(301)}`);
    await node.send(`block 302 ${hash(302)}`);
    await node.send(`tip 303 ${hash(303)}`);
    const e = await cli.waitFor((x) => x.type === "tip.changed" && x.data.height === 303, 5000, from);
    expect(e.data).toEqual({
      height: 303,
      hash: hash(303),
      skipped: 2,
      skippedBlocks: [
        { height: 301, hash: hash(301) },
        { height: 302, hash: hash(302) },
      ],
    });
    // A long jump (a node catching up) is counted, not looked up block by block.
    from = cli.events.length;
    await node.send(`tip 400 ${hash(400)}`);
    const far = await cli.waitFor((x) => x.type === "tip.changed" && x.data.height === 400, 5000, from);
    expect(far.data).toEqual({ height: 400, hash: hash(400), skipped: 96 });
  });

  it("emits peers.snapshot every interval", async () => {
    const from = cli.events.length;
    await new Promise((r) => setTimeout(r, 1600));
    const snaps = cli.events.slice(from).filter((e) => e.type === "peers.snapshot");
    expect(snaps.length).toBeGreaterThanOrEqual(2);
    expect(snaps.length).toBeLessThanOrEqual(5);
  });

  it("turns a trace batch into net.message events and the node's drop count into events.dropped", async () => {
    const from = cli.events.length;
    await node.send("trace 6 42");
    await cli.waitFor((e) => e.type === "events.dropped" && e.data.count === 42, 5000, from);
    const msgs = cli.events.slice(from).filter((e) => e.type === "net.message");
    expect(msgs).toHaveLength(6);
    expect(msgs[0]?.data).toEqual({
      peerId: 0,
      addr: "127.0.0.1:18444",
      connType: "inbound",
      direction: "in",
      msgType: "ping",
      size: 8,
      payloadHex: "0000665544332211",
      truncated: false,
      decoded: { nonce: "0000665544332211" },
      receivedTs: expect.any(Number),
    });
    expect(msgs[1]?.data).toMatchObject({ peerId: 1, direction: "out", msgType: "inv", size: 37 });
  });

  it("shows down when the node dies and up again when it comes back, without a restart", async () => {
    const from = cli.events.length;
    await node.kill();
    const down = await cli.waitFor(status("down"), 5000, from);
    expect((down.data as { detail: string }).detail).toMatch(/connection lost/);
    await node.start();
    await cli.waitFor(status("up"), 20_000, from);
    const from2 = cli.events.length;
    await node.send(`tip 500 ${hash(500)}`);
    await cli.waitFor((e) => e.type === "tip.changed" && e.data.height === 500, 5000, from2);
  });

  it("drops a connection that sends a malformed frame, says why, and reconnects", async () => {
    const from = cli.events.length;
    await node.send("malformed");
    const down = await cli.waitFor(status("down"), 5000, from);
    expect((down.data as { detail: string }).detail).toMatch(/malformed/);
    await cli.waitFor(status("up"), 10_000, from);
  });

  it("stops cleanly on SIGTERM, interrupting the tip wait", async () => {
    const code = await cli.stop();
    expect(code).toBe(0);
    expect(cli.events.at(-1)).toMatchObject({ type: "source.status", data: { state: "down", detail: "stopped" } });
  });
});

describe.skipIf(skip)("peerwatch observe --sources ipc against a node still loading", () => {
  it("says it is waiting for the node, then up", async () => {
    const loading = new Standin((bin as { path: string }).path, ["--mining-delay=3500"]);
    await loading.start();
    const cli = new LiveCli(observeIpc(loading.socket));
    const waiting = await cli.waitFor(status("degraded"), 10_000);
    expect((waiting.data as { detail: string }).detail).toMatch(/waiting for the node to finish loading/);
    await cli.waitFor(status("up"), 10_000);
    expect(await cli.stop()).toBe(0);
    await loading.stop();
  });
});

describe("peerwatch observe --sources ipc with no node", () => {
  it("keeps retrying and says why, when asked for IPC by name", async () => {
    const cli = new LiveCli(observeIpc("/nonexistent/node.sock", "--duration", "1.5"));
    const e = await cli.waitFor(status("down"));
    expect((e.data as { detail: string }).detail).toMatch(/no socket there/);
    expect(await cli.exited).toBe(0);
  });
});

if (skip) reportSkip("peerwatch observe --sources ipc against the stand-in node", (bin as { skip: string }).skip);
