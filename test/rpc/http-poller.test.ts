// The poller over HTTP (bitcoin-core npm client) against a stub bitcoind, and over IPC against the
// stand-in node: the same events either way.
import fs from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { EVENT_TYPES, getPeerInfoResult, makeEvent, type Emit, type PeerwatchEvent } from "../../src/events/index.js";
import { passesCompiledCheck } from "../../src/events/compiled-check.js";
import { probeCapabilities } from "../../src/ipc/probe.js";
import { IpcRpcTransport } from "../../src/ipc/rpc-transport.js";
import { IpcSession } from "../../src/ipc/session.js";
import { HttpRpcTransport } from "../../src/rpc/http-transport.js";
import { toPeerInfo } from "../../src/codecs/jsonrpc/peers.js";
import { RpcPoller, defaultSchedule, type PollerHealth, type PolledMethod } from "../../src/codecs/jsonrpc/poller.js";
import type { RpcTransport } from "../../src/codecs/jsonrpc/transport.js";
import { captureJson } from "../helpers/capture.js";
import { Standin, standinBinary } from "../helpers/standin.js";
import { StubBitcoind } from "../helpers/stub-bitcoind.js";
import { until } from "../helpers/wait.js";


function runPoller(transport: RpcTransport, schedule: readonly PolledMethod[], timeoutMs = 2000, source: "rpc" | "ipc" = "rpc") {
  const events: PeerwatchEvent[] = [];
  const health: PollerHealth[] = [];
  const unsupported: string[] = [];
  const emit: Emit = (type, data) => void events.push(makeEvent("rpc", "t", type, data) as PeerwatchEvent);
  const poller = new RpcPoller({ source, transport, schedule, timeoutMs, emit, onHealth: (h) => health.push(h), onUnsupported: (m) => unsupported.push(m) });
  poller.start();
  return { poller, events, health, unsupported };
}

describe("RPC poller over HTTP", () => {
  let stub: StubBitcoind;
  let poller: RpcPoller | undefined;
  beforeAll(async () => {
    // Tests check every event they build, and the check of each type is compiled on first use
    // (~0.3 s for rpc.snapshot on a busy machine): compile them now, not inside the 500 ms call timeouts.
    for (const type of EVENT_TYPES) passesCompiledCheck({ type });
    stub = new StubBitcoind();
    await stub.start();
  });
  afterEach(() => {
    poller?.stop();
    stub.warmup = false;
    stub.hang.clear();
    stub.invalid.clear();
  });
  afterAll(() => stub.stop());

  const http = (password?: string) =>
    new HttpRpcTransport({
      url: stub.url,
      credentials: password ? { kind: "userpass", username: "__cookie__", password } : { kind: "cookie", path: stub.cookie },
      timeoutMs: 500,
    });

  it("keeps the fields newer or patched nodes add to getpeerinfo", async () => {
    const dir = fs.mkdtempSync(path.join(stub.dir, "patched-"));
    const peers = (captureJson("rpc/getpeerinfo.json") as object[]).map((p) => ({ ...p, inv_to_send: 12, cpu_load: 0.25 }));
    fs.writeFileSync(path.join(dir, "getpeerinfo.json"), JSON.stringify(peers));
    const patched = new StubBitcoind(dir);
    await patched.start();
    const r = runPoller(new HttpRpcTransport({ url: patched.url, credentials: { kind: "cookie", path: patched.cookie }, timeoutMs: 500 }), [{ method: "getpeerinfo", intervalMs: 60_000 }]);
    await until(() => r.events.length > 0);
    r.poller.stop();
    await patched.stop();
    expect(r.events[0]).toMatchObject({ type: "peers.snapshot", data: { peers: [{ id: 0, invToSend: 12, cpuLoad: 0.25 }] } });
  });

  it("polls every method with the cookie and emits validated snapshots", async () => {
    const r = runPoller(http(), defaultSchedule(60_000, 60_000));
    poller = r.poller;
    await until(() => r.events.length >= 11);
    const peers = r.events.find((e) => e.type === "peers.snapshot");
    expect(peers?.data).toEqual({ peers: getPeerInfoResult.parse(captureJson("rpc/getpeerinfo.json")).map(toPeerInfo) });
    const chain = r.events.find((e) => e.type === "rpc.snapshot" && e.data.method === "getblockchaininfo");
    // difficulty has 16 significant digits: it must stay a number (bitcoin-core's own parser makes it a string)
    expect((chain?.data as { result: { difficulty: unknown } }).result.difficulty).toBe(4.656542373906925e-10);
    expect(r.health.at(-1)?.state).toBe("up");
  });

  it("reads the cookie again when the node restarted and rewrote it", async () => {
    const t = http();
    await t.call("uptime", [], 500);
    stub.rotateCookie();
    await expect(t.call("uptime", [], 500)).resolves.toBe(12);
  });

  it("reports wrong credentials as down, without the password anywhere", async () => {
    const secret = "wrong-and-secret-pw";
    const r = runPoller(http(secret), [{ method: "uptime", intervalMs: 60_000 }]);
    poller = r.poller;
    await until(() => r.health.length > 0);
    expect(r.health.at(-1)).toMatchObject({ state: "down", detail: expect.stringMatching(/refused the credentials \(HTTP 401\)/) });
    expect(JSON.stringify(r.health)).not.toContain(secret);
    expect(JSON.stringify(r.health)).not.toContain(stub.secret);
  });

  it("treats warmup (-28) as degraded, then up when it ends", async () => {
    stub.warmup = true;
    const r = runPoller(http(), [{ method: "uptime", intervalMs: 30 }]);
    poller = r.poller;
    await until(() => r.health.some((h) => h.state === "degraded"));
    expect(r.health.at(-1)?.detail).toMatch(/warming up/);
    stub.warmup = false;
    await until(() => r.health.at(-1)?.state === "up");
  });

  it("detects a method the node does not know once, reports it and stops asking", async () => {
    // A node that knows none of the canned methods (an empty reply directory), like an old version.
    const old = new StubBitcoind(fs.mkdtempSync(path.join(stub.dir, "empty-")));
    await old.start();
    const r2 = runPoller(new HttpRpcTransport({ url: old.url, credentials: { kind: "cookie", path: old.cookie }, timeoutMs: 500 }), [{ method: "getorphantxs", intervalMs: 20 }]);
    await new Promise((res) => setTimeout(res, 200));
    r2.poller.stop();
    await old.stop();
    expect(r2.unsupported).toEqual(["getorphantxs"]);
    expect(old.calls.filter((m) => m === "getorphantxs")).toHaveLength(1);
    expect(r2.health.at(-1)).toMatchObject({ state: "up", detail: expect.stringMatching(/skipped: getorphantxs/) });
  });

  it("counts a reply that fails validation as dropped data", async () => {
    stub.invalid.add("getnettotals");
    const r = runPoller(http(), [{ method: "getnettotals", intervalMs: 60_000 }]);
    poller = r.poller;
    await until(() => r.events.length > 0);
    expect(r.events[0]).toMatchObject({ type: "events.dropped", data: { source: "rpc", count: 1, reason: expect.stringMatching(/getnettotals reply: at totalbytesrecv/) } });
    expect(r.poller.stats.invalid).toBe(1);
    expect(r.health.at(-1)).toMatchObject({ state: "degraded", detail: expect.stringMatching(/getnettotals reply/) });
  });

  it("keeps one call in flight for a hung method, times it out, and says down", async () => {
    stub.hang.add("getpeerinfo");
    const r = runPoller(http(), [{ method: "getpeerinfo", intervalMs: 25 }], 300);
    poller = r.poller;
    await until(() => r.health.some((h) => h.state === "down"), 3000);
    expect(r.health.at(-1)?.detail).toMatch(/no answer .* in 500 ms|getpeerinfo/);
    poller.stop();
    // 25 ms ticks for ≥ 500 ms, but never more than one request at a time reached the node.
    expect(stub.maxInFlight).toBe(1);
    expect(r.poller.stats.skipped).toBeGreaterThan(5);
  });

  it("says so when nothing listens", async () => {
    const t = new HttpRpcTransport({ url: "http://127.0.0.1:1", credentials: { kind: "userpass", username: "u", password: "p" }, timeoutMs: 500 });
    await expect(t.call("uptime", [], 500)).rejects.toMatchObject({ kind: "transport", message: expect.stringMatching(/connection refused/) });
  });
});

const bin = standinBinary();
describe.skipIf("skip" in bin)("the same poller over IPC and HTTP", () => {
  it("produces the same snapshots from the same node replies", async () => {
    const stub = new StubBitcoind();
    await stub.start();
    const node = new Standin((bin as { path: string }).path);
    await node.start();
    const session = await IpcSession.connect(node.socket, { maxMessageBytes: 1 << 26 });
    const thread = await session.makeThread(await session.construct(), "calls");
    const caps = await probeCapabilities(session, thread, 5000);
    const schedule = defaultSchedule(60_000, 60_000);
    const viaHttp = runPoller(new HttpRpcTransport({ url: stub.url, credentials: { kind: "cookie", path: stub.cookie }, timeoutMs: 2000 }), schedule);
    const viaIpc = runPoller(new IpcRpcTransport(session, caps.rpc!, thread), schedule, 2000, "ipc");
    // One event per method, and the node.info getnetworkinfo tells.
    await until(() => viaHttp.events.length >= schedule.length + 1 && viaIpc.events.length >= schedule.length + 1);
    viaHttp.poller.stop();
    viaIpc.poller.stop();
    const key = (e: PeerwatchEvent) => (e.type === "rpc.snapshot" ? e.data.method : e.type);
    const shape = (events: PeerwatchEvent[]) => Object.fromEntries(events.map((e) => [key(e), e.data]));
    expect(shape(viaIpc.events)).toEqual(shape(viaHttp.events));
    session.close();
    await node.stop();
    await stub.stop();
  });
});
