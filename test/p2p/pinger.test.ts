// The P2P pinger against a scripted peer: handshake, pings timed by nonce, what the node
// announces, protocol violations, and both modes through the CLI.
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { CHAIN_PARAMS } from "../../src/config/chains.js";
import { makeEvent, type Emit, type PeerwatchEvent } from "../../src/events/index.js";
import { encodeNonce } from "../../src/codecs/p2p/messages.js";
import { PeerConnection } from "../../src/p2p/peer-connection.js";
import { LiveCli, runCli } from "../helpers/cli.js";
import { freePort } from "../helpers/real-node.js";
import { ScriptedNode } from "../helpers/scripted-node.js";
import { until } from "../helpers/wait.js";

let node: ScriptedNode;
let conn: PeerConnection | undefined;
afterEach(async () => {
  conn?.close();
  await node?.close();
});

async function connectTo(n: ScriptedNode, pingIntervalMs = 100, extra: Partial<ConstructorParameters<typeof PeerConnection>[1]> = {}) {
  const events: PeerwatchEvent[] = [];
  const emit: Emit = (type, data) => void events.push(makeEvent("p2p", "t", type, data) as PeerwatchEvent);
  const socket = net.createConnection({ host: "127.0.0.1", port: n.port });
  await new Promise((r) => socket.once("connect", r));
  const handshakes: string[] = [];
  conn = new PeerConnection(socket, {
    magic: CHAIN_PARAMS.regtest.magic,
    target: `127.0.0.1:${n.port}`,
    pingIntervalMs,
    emit,
    onHandshake: (v) => handshakes.push(v.userAgent),
    ...extra,
  });
  return { events, handshakes };
}

describe("P2P pinger connection", () => {
  it("does the handshake as a light peer and times pongs by nonce", async () => {
    node = new ScriptedNode();
    node.pongDelayMs = 30;
    await node.listen();
    const { events, handshakes } = await connectTo(node);
    await until(() => events.filter((e) => e.type === "ping.rtt").length >= 3);
    expect(handshakes).toEqual(["/Satoshi:31.99.0/"]);
    const [version] = node.received;
    expect(version?.command).toBe("version");
    // services none, relay off: the last byte of our version is the relay flag
    expect(version?.payload.readBigUInt64LE(4)).toBe(0n);
    expect(version?.payload.at(-1)).toBe(0);
    expect(node.count("verack")).toBe(1);
    for (const e of events.filter((x) => x.type === "ping.rtt")) {
      expect((e.data as { rttNs: number }).rttNs).toBeGreaterThanOrEqual(30_000_000);
    }
    // nothing unsolicited besides version, verack and pings
    expect(new Set(node.received.map((m) => m.command))).toEqual(new Set(["version", "verack", "ping"]));
  });

  it("answers the node's ping with a pong of the same nonce", async () => {
    node = new ScriptedNode();
    await node.listen();
    await connectTo(node, 10_000);
    await until(() => node.count("verack") === 1);
    node.sendAll(node.msg("ping", encodeNonce(0xdeadbeefn)));
    await until(() => node.count("pong") === 1);
    expect(node.received.find((m) => m.command === "pong")?.payload).toEqual(encodeNonce(0xdeadbeefn));
  });

  it("counts a pong with an unknown nonce as an untimed round trip (events.dropped)", async () => {
    node = new ScriptedNode();
    node.answerPings = false;
    await node.listen();
    const { events } = await connectTo(node, 10_000);
    await until(() => node.count("ping") === 1);
    node.sendAll(node.msg("pong", encodeNonce(12345n)));
    await new Promise((r) => setTimeout(r, 100));
    expect(events.filter((e) => e.type === "ping.rtt")).toEqual([]);
    expect(conn!.stats.unknownPongs).toBe(1);
    node.sendAll(node.msg("pong", encodeNonce(6789n)));
    await until(() => conn!.stats.unknownPongs === 2);
    conn!.close(); // reported summed, at the next ping or at the end
    expect(events.filter((e) => e.type === "events.dropped").map((e) => e.data)).toEqual([
      { source: "p2p", count: 2, reason: "pong with an unknown nonce (not timed)" },
    ]);
  });

  it("keeps a connection whose handshake completed past the handshake timeout", async () => {
    node = new ScriptedNode();
    await node.listen();
    const { events } = await connectTo(node, 50, { handshakeTimeoutMs: 200 });
    await new Promise((r) => setTimeout(r, 600));
    let ended: string | undefined;
    void conn!.ended.then((r) => (ended = r));
    await new Promise((r) => setImmediate(r));
    expect(ended).toBeUndefined();
    expect(conn!.handshakeDone).toBe(true);
    expect(events.filter((e) => e.type === "ping.rtt").length).toBeGreaterThan(3);
  });

  it("drops a slow-loris: a message started after the handshake and never finished", async () => {
    node = new ScriptedNode();
    // The header of a 1000-byte inv and 10 bytes of it, then nothing (pongs would queue behind it).
    node.afterHandshake = (s) => s.write(node.msg("inv", Buffer.alloc(1000)).subarray(0, 34));
    await node.listen();
    await connectTo(node, 20, { stallTimeoutMs: 150 });
    expect(await conn!.ended).toMatch(/slow-loris: \d+ bytes of a message still incomplete after \d+ ms/);
    expect(conn!.misbehaved).toBe(true);
  });

  it("reports what the node announces: inv, addrv2, feefilter", async () => {
    node = new ScriptedNode();
    await node.listen();
    const { events } = await connectTo(node, 10_000);
    await until(() => node.count("verack") === 1);
    const inv = Buffer.concat([Buffer.of(2), Buffer.from("01000000", "hex"), Buffer.alloc(32, 1), Buffer.from("05000000", "hex"), Buffer.alloc(32, 2)]);
    node.sendAll(node.msg("inv", inv));
    node.sendAll(node.msg("feefilter", Buffer.from("e803000000000000", "hex")));
    node.sendAll(
      node.msg("addrv2", Buffer.concat([Buffer.of(1), Buffer.alloc(4), Buffer.of(1), Buffer.of(1, 4), Buffer.from([1, 2, 3, 4]), Buffer.from("208d", "hex")])),
    );
    await until(() => events.filter((e) => e.type === "p2p.announcement").length === 3);
    const data = events.filter((e) => e.type === "p2p.announcement").map((e) => e.data);
    expect(data).toEqual([
      { target: `127.0.0.1:${node.port}`, msgType: "inv", size: 73, entries: 2, invTypes: { tx: 1, wtx: 1 } },
      { target: `127.0.0.1:${node.port}`, msgType: "feefilter", size: 8, feeRateSatVb: 1 },
      { target: `127.0.0.1:${node.port}`, msgType: "addrv2", size: 14, entries: 1, networks: { ipv4: 1 } },
    ]);
  });

  it.each([
    [
      "a bad checksum",
      (n: ScriptedNode) => {
        const m = n.msg("ping", encodeNonce(1n));
        m[20] = (m[20] as number) ^ 0xff;
        return m;
      },
      /bad checksum/,
    ],
    [
      "a length over the maximum",
      (n: ScriptedNode) => {
        const m = n.msg("block", Buffer.alloc(0));
        m.writeUInt32LE(4_000_001, 16);
        return m;
      },
      /exceeds the protocol maximum/,
    ],
    ["a mainnet magic", () => Buffer.concat([Buffer.from("f9beb4d9", "hex"), Buffer.alloc(20)]), /bad magic/],
    ["a truncated ping", (n: ScriptedNode) => n.msg("ping", Buffer.alloc(3)), /ping: nonce needs 8 bytes/],
  ])("closes the connection on %s, with the reason", async (_what, make, reason) => {
    node = new ScriptedNode();
    await node.listen();
    await connectTo(node, 10_000);
    await until(() => node.count("verack") === 1);
    node.sendAll(make(node));
    expect(await conn!.ended).toMatch(reason);
  });

  it("gives up on a peer that never completes the handshake", async () => {
    const silent = net.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const socket = net.createConnection({ port: (silent.address() as net.AddressInfo).port, host: "127.0.0.1" });
    const c = new PeerConnection(socket, { magic: CHAIN_PARAMS.regtest.magic, target: "x", pingIntervalMs: 1000, handshakeTimeoutMs: 200, emit: () => {} });
    expect(await c.ended).toMatch(/no handshake within 200 ms/);
    silent.close();
  });

  it("stays connected past the handshake timeout once the handshake is done", async () => {
    node = new ScriptedNode();
    await node.listen();
    const { events } = await connectTo(node, 50, { handshakeTimeoutMs: 200 });
    await until(() => events.some((e) => e.type === "ping.rtt"));
    const before = events.filter((e) => e.type === "ping.rtt").length;
    await new Promise((r) => setTimeout(r, 600));
    const ended = await Promise.race([conn!.ended, Promise.resolve("still up")]);
    expect(ended).toBe("still up");
    expect(events.filter((e) => e.type === "ping.rtt").length).toBeGreaterThan(before + 3);
  });

  it("closes when the node stops answering pings", async () => {
    node = new ScriptedNode();
    node.answerPings = false;
    await node.listen();
    await connectTo(node, 20, { pongTimeoutMs: 150 });
    expect(await conn!.ended).toMatch(/no pong for .* the node is not processing our messages/);
    expect(conn!.misbehaved).toBe(true);
  });
});

describe("peerwatch observe --sources p2p", () => {
  it("backs off after each protocol violation instead of reconnecting every 0.5 s", async () => {
    node = new ScriptedNode();
    node.afterHandshake = (s) => {
      const m = node.msg("ping", encodeNonce(1n));
      m[20] = (m[20] as number) ^ 0xff; // bad checksum
      s.write(m);
    };
    await node.listen();
    const r = await runCli([
      "observe",
      "--sources",
      "p2p",
      "--chain",
      "regtest",
      "--p2p",
      `127.0.0.1:${node.port}`,
      "--events",
      "-",
      "--metrics",
      "off",
      "--duration",
      "3.2",
    ]);
    expect(r.code, r.stderr).toBe(0);
    // Retries after 0.5, 1 and 2 s: connections at 0, 0.5 and 1.5 s (and 3.5, past the end). Without backoff: 7.
    expect(node.sockets.length).toBeGreaterThanOrEqual(2);
    expect(node.sockets.length).toBeLessThanOrEqual(4);
    expect(r.events.filter((e) => e.type === "source.status" && e.data.state === "down").map((e) => (e.data as { detail: string }).detail)).toContainEqual(
      expect.stringMatching(/protocol violation: ping: bad checksum/),
    );
  });

  it("connect mode: prints ping.rtt events and says up", async () => {
    node = new ScriptedNode();
    await node.listen();
    const cli = new LiveCli([
      "observe",
      "--sources",
      "p2p",
      "--chain",
      "regtest",
      "--p2p",
      `127.0.0.1:${node.port}`,
      "--ping-interval",
      "0.1",
      "--events",
      "-",
      "--metrics",
      "off",
    ]);
    const up = await cli.waitFor((e) => e.type === "source.status" && e.data.state === "up");
    expect((up.data as { detail: string }).detail).toMatch(/\/Satoshi:31\.99\.0\/ protocol 70017, height 111/);
    await cli.waitFor((e) => e.type === "ping.rtt");
    await until(() => cli.events.filter((e) => e.type === "ping.rtt").length >= 3);
    const from = cli.events.length;
    for (const s of node.sockets) s.destroy();
    await cli.waitFor((e) => e.type === "source.status" && e.data.state === "down", 5000, from);
    await cli.waitFor((e) => e.type === "source.status" && e.data.state === "up", 10_000, from);
    expect(await cli.stop()).toBe(0);
  });

  it("listen mode: the node connects to us (-addnode)", async () => {
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
      "0.1",
      "--events",
      "-",
      "--metrics",
      "off",
    ]);
    await cli.waitFor((e) => e.type === "source.status" && e.data.state === "degraded");
    // A node tries BIP324 v2 first: the pinger closes at once, without sending a byte …
    const v2 = new ScriptedNode();
    const s1 = await v2.connect(port, { v2First: true });
    await new Promise((r) => s1.once("close", r));
    expect(v2.received).toEqual([]);
    // … and the node's v1 retry gets the handshake, our version sent only after the node's.
    node = new ScriptedNode();
    await node.connect(port);
    await cli.waitFor((e) => e.type === "source.status" && e.data.state === "up");
    await cli.waitFor((e) => e.type === "ping.rtt");
    expect(node.received.map((m) => m.command).slice(0, 2)).toEqual(["version", "verack"]);
    // a second connection is refused: a single connection only
    const second = new ScriptedNode();
    const s2 = await second.connect(port);
    await new Promise((r) => s2.once("close", r));
    expect(await cli.stop()).toBe(0);
  });
});
