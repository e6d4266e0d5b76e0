// The IPC client against the C++ stand-in node (real Cap'n Proto wire, Debian's libcapnp).
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { makeEvent, type Emit, type PeerwatchEvent } from "../../src/events/index.js";
import { describeCapabilities, probeCapabilities } from "../../src/ipc/probe.js";
import { IpcRpcTransport } from "../../src/ipc/rpc-transport.js";
import { IpcError, IpcSession } from "../../src/ipc/session.js";
import { RpcPoller, defaultSchedule, type PollerHealth } from "../../src/sources/rpc-poller.js";
import { toPeerInfo } from "../../src/codecs/jsonrpc/peers.js";
import { getPeerInfoResult } from "../../src/events/index.js";
import { captureJson } from "../helpers/capture.js";
import { Standin, standinBinary } from "../helpers/standin.js";
import { until } from "../helpers/wait.js";
import { reportSkip } from "../helpers/skip.js";

const bin = standinBinary();
const skip = "skip" in bin;
const LIMIT = 64 * 1024 * 1024;

const collect = () => {
  const events: PeerwatchEvent[] = [];
  const emit: Emit = (type, data) => void events.push(makeEvent("ipc", "t", type, data) as PeerwatchEvent);
  return { events, emit };
};

describe.skipIf(skip)("IPC session against the stand-in node", () => {
  let node: Standin;
  let session: IpcSession | undefined;
  beforeAll(async () => {
    node = new Standin((bin as { path: string }).path, ["--tracing"]);
    await node.start();
  });
  afterEach(() => session?.close());
  afterAll(() => node.stop());

  it("fails a call without context.thread, like libmultiprocess, and works with one", async () => {
    session = await IpcSession.connect(node.socket, { maxMessageBytes: LIMIT });
    const threadMap = await session.construct();
    const noThread = session.init.makeEcho(() => {});
    await expect(session.track("Init.makeEcho", noThread.promise())).rejects.toThrow(/no thread specified and no pool configured/);
    const thread = await session.makeThread(threadMap, "t1");
    const caps = await probeCapabilities(session, thread, 5000);
    expect(caps.rpc).not.toBeNull();
    expect(caps.mining).not.toBeNull();
    expect(caps.netTracing).not.toBeNull();
    // net-tracing becomes a capability only once the subscription succeeds (the source adds it).
    expect(describeCapabilities(caps)).toMatchObject({ names: ["echo", "rpc", "mining"], detail: expect.stringMatching(/offers net-message tracing/) });
  });

  it("polls snapshots over executeRpc with the same validation as HTTP", async () => {
    session = await IpcSession.connect(node.socket, { maxMessageBytes: LIMIT });
    const thread = await session.makeThread(await session.construct(), "calls");
    const caps = await probeCapabilities(session, thread, 5000);
    const { events, emit } = collect();
    const poller = new RpcPoller({
      source: "ipc",
      transport: new IpcRpcTransport(session, caps.rpc!, thread),
      schedule: defaultSchedule(60_000, 60_000),
      timeoutMs: 5000,
      emit,
    });
    poller.start();
    // Every method once: counted by snapshot, not by events (node.info comes along too).
    await until(() => events.some((e) => e.type === "peers.snapshot") && events.filter((e) => e.type === "rpc.snapshot").length >= 10);
    poller.stop();
    const peers = events.find((e) => e.type === "peers.snapshot");
    const expected = getPeerInfoResult.parse(captureJson("rpc/getpeerinfo.json")).map(toPeerInfo);
    expect(peers?.data).toEqual({ peers: expected });
    const methods = events
      .filter((e) => e.type === "rpc.snapshot")
      .map((e) => (e.data as { method: string }).method)
      .sort();
    expect(methods).toEqual([
      "getaddrmaninfo",
      "getblockchaininfo",
      "getchaintxstats",
      "getmemoryinfo",
      "getmempoolinfo",
      "getnettotals",
      "getnetworkinfo",
      "getorphantxs",
      "listbanned",
      "uptime",
    ]);
  });

  it("treats warmup as a state, a bad reply as dropped data, a hung method as one call in flight", async () => {
    session = await IpcSession.connect(node.socket, { maxMessageBytes: LIMIT });
    const thread = await session.makeThread(await session.construct(), "calls");
    const caps = await probeCapabilities(session, thread, 5000);
    const { events, emit } = collect();
    const health: PollerHealth[] = [];
    const poller = new RpcPoller({
      source: "ipc",
      transport: new IpcRpcTransport(session, caps.rpc!, thread),
      schedule: [
        { method: "getmempoolinfo", intervalMs: 30 },
        { method: "uptime", intervalMs: 30 },
      ],
      timeoutMs: 400,
      emit,
      onHealth: (h) => health.push(h),
    });
    await node.send("warmup on");
    poller.start();
    await until(() => health.some((h) => h.state === "degraded"));
    expect(health.at(-1)).toMatchObject({ state: "degraded", detail: expect.stringMatching(/warming up.*Loading block index/) });
    await node.send("warmup off");
    await node.send("invalid getmempoolinfo");
    await node.send("hang uptime");
    await until(() => events.some((e) => e.type === "events.dropped") && health.at(-1)?.state === "down", 5000);
    poller.stop();
    await node.send("invalid none");
    await node.send("hang none");
    const dropped = events.find((e) => e.type === "events.dropped");
    expect(dropped?.data).toMatchObject({ count: 1, reason: expect.stringMatching(/getmempoolinfo reply: at loaded/) });

    expect(health.at(-1)).toMatchObject({ state: "down", detail: expect.stringMatching(/uptime.*no answer in 400 ms/) });
    // The hung method never had more than one call in flight: later ticks were skipped.
    expect(poller.stats.skipped).toBeGreaterThan(3);
  });

  it("reports a reply that fails validation as degraded, and up again once replies are valid", async () => {
    session = await IpcSession.connect(node.socket, { maxMessageBytes: LIMIT });
    const thread = await session.makeThread(await session.construct(), "calls");
    const caps = await probeCapabilities(session, thread, 5000);
    const { emit } = collect();
    const health: PollerHealth[] = [];
    await node.send("invalid getnettotals");
    const poller = new RpcPoller({
      source: "ipc",
      transport: new IpcRpcTransport(session, caps.rpc!, thread),
      schedule: [{ method: "getnettotals", intervalMs: 30 }],
      timeoutMs: 2000,
      emit,
      onHealth: (h) => health.push(h),
    });
    poller.start();
    await until(() => health.length > 0);
    expect(health[0]).toMatchObject({ state: "degraded", detail: expect.stringMatching(/getnettotals reply: at totalbytesrecv/) });
    await node.send("invalid none");
    await until(() => health.at(-1)?.state === "up");
    poller.stop();
  });

  it("says clearly when the node serves the interfaces of an older version (v30: no Rpc, Mining at @2)", async () => {
    const old = new Standin((bin as { path: string }).path, ["--v30"]);
    await old.start();
    const s = await IpcSession.connect(old.socket, { maxMessageBytes: LIMIT });
    const thread = await s.makeThread(await s.construct(), "calls");
    const caps = await probeCapabilities(s, thread, 5000);
    expect(caps.rpc).toBeNull();
    expect(caps.mining).toBeNull();
    expect(Object.keys(caps.missing).sort()).toEqual(["Init.makeMining", "Init.makeRpc", "Init.makeTracing"]);
    const d = describeCapabilities(caps);
    expect(d.names).toEqual(["echo"]);
    expect(d.detail).toMatch(/v30 or older, peerwatch expects the interfaces of v31 \(master\); use the RPC poller/);
    s.close();
    await old.stop();
  });

  it("rejects a pending call at once when the node goes away mid-call", async () => {
    const other = new Standin((bin as { path: string }).path);
    await other.start();
    const s = await IpcSession.connect(other.socket, { maxMessageBytes: LIMIT });
    const thread = await s.makeThread(await s.construct(), "calls");
    const caps = await probeCapabilities(s, thread, 5000);
    await other.send("hang getpeerinfo");
    let settled = false;
    const call = new IpcRpcTransport(s, caps.rpc!, thread).call("getpeerinfo", [], 60_000);
    const outcome = call
      .then(
        () => "resolved",
        (e: Error) => e.message,
      )
      .finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 200));
    expect(settled, "the hung call must still be pending").toBe(false);
    expect(other.alive).toBe(true);
    const started = Date.now();
    await other.kill();
    expect(await outcome).toMatch(/closed the connection/);
    expect(Date.now() - started).toBeLessThan(10_000);
    await expect(s.track("after", Promise.resolve(1))).rejects.toBeInstanceOf(IpcError);
    await other.stop();
  });

  it("drops the connection on a malformed frame, with the reason", async () => {
    session = await IpcSession.connect(node.socket, { maxMessageBytes: LIMIT });
    await session.construct();
    await node.send("malformed");
    const reason = await session.ended;
    expect(reason.kind).toBe("malformed");
  });

  it("drops the connection on a frame over the size limit, before reading it", async () => {
    session = await IpcSession.connect(node.socket, { maxMessageBytes: 1 << 20 });
    await session.construct();
    await node.send("oversized 104857600");
    const reason = await session.ended;
    expect(reason).toMatchObject({ kind: "malformed", detail: expect.stringMatching(/104857\d+ bytes exceeds the limit of 1048576/) });
    expect(session.transport.bytesIn).toBeLessThan(4096);
  });
});

if (skip) reportSkip("IPC session against the stand-in node", (bin as { skip: string }).skip);
