// The poller over HTTP (undici transport) against a stub bitcoind, and over IPC against the
// stand-in node: the same events either way.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { EVENT_TYPES, getPeerInfoResult, makeEvent, type Emit, type PeerwatchEvent } from "../../src/events/index.js";
import { passesCompiledCheck } from "../../src/events/compiled-check.js";
import { probeCapabilities } from "../../src/ipc/probe.js";
import { IpcRpcTransport } from "../../src/ipc/rpc-transport.js";
import { IpcSession } from "../../src/ipc/session.js";
import { HttpRpcTransport } from "../../src/rpc/http-transport.js";
import { toPeerInfo } from "../../src/codecs/jsonrpc/peers.js";
import { RpcPoller, defaultSchedule, type PollerHealth, type PolledMethod } from "../../src/sources/rpc-poller.js";
import { RpcError, type RpcTransport } from "../../src/codecs/jsonrpc/transport.js";
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
    stub.custom.clear();
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
    const r = runPoller(new HttpRpcTransport({ url: patched.url, credentials: { kind: "cookie", path: patched.cookie }, timeoutMs: 500 }), [
      { method: "getpeerinfo", intervalMs: 60_000 },
    ]);
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
    // difficulty has 16 significant digits: it must stay a number (json-bigint parsers make it a string)
    expect((chain?.data as { result: { difficulty: unknown } } | undefined)?.result.difficulty).toBe(4.656542373906925e-10);
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
    const r2 = runPoller(new HttpRpcTransport({ url: old.url, credentials: { kind: "cookie", path: old.cookie }, timeoutMs: 500 }), [
      { method: "getorphantxs", intervalMs: 20 },
    ]);
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
    expect(r.events[0]).toMatchObject({
      type: "events.dropped",
      data: { source: "rpc", count: 1, reason: expect.stringMatching(/getnettotals reply: at totalbytesrecv/) },
    });
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

  it("honours the per-call timeout, not the transport's default", async () => {
    stub.hang.add("getpeerinfo");
    const t = new HttpRpcTransport({ url: stub.url, credentials: { kind: "cookie", path: stub.cookie }, timeoutMs: 5000 });
    const t0 = Date.now();
    await expect(t.call("getpeerinfo", [], 100)).rejects.toMatchObject({ kind: "timeout", message: expect.stringMatching(/no answer .* in 100 ms/) });
    // The old client ignored it and waited its own 2 s; a generous bound, not a speed test.
    expect(Date.now() - t0).toBeLessThan(1500);
    t.close();
  });

  it("aborts the calls in flight when closed, and refuses new ones", async () => {
    stub.hang.add("getpeerinfo");
    const t = http();
    const call = t.call("getpeerinfo", [], 60_000);
    await until(() => stub.inFlight > 0);
    t.close();
    await expect(call).rejects.toMatchObject({ kind: "transport", message: "getpeerinfo: stopped" });
    await until(() => stub.inFlight === 0);
    await expect(t.call("uptime", [], 500)).rejects.toMatchObject({ message: "uptime: stopped" });
  });

  it("stops reading a body at the size cap instead of buffering it", async () => {
    let written = 0;
    stub.custom.set("getpeerinfo", (res) => {
      // No content-length: 1 MiB chunks for as long as the client reads (it must give up at 2 MiB).
      res.writeHead(200, { "content-type": "application/json" });
      const chunk = Buffer.alloc(1 << 20, 0x20);
      const pump = (): void => {
        while (!res.destroyed && written < 64 << 20) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        res.end();
      };
      res.write('{"result":"');
      pump();
    });
    const t = new HttpRpcTransport({ url: stub.url, credentials: { kind: "cookie", path: stub.cookie }, timeoutMs: 5000, maxReplyBytes: 2 << 20 });
    await expect(t.call("getpeerinfo", [], 5000)).rejects.toMatchObject({
      kind: "protocol",
      message: expect.stringMatching(/reply body exceeds the limit of 2097152 bytes/),
    });
    await until(() => stub.inFlight === 0);
    expect(written).toBeLessThan(16 << 20);
    t.close();
  });

  it("refuses a declared 50 MB body before reading it", async () => {
    stub.custom.set("getpeerinfo", (res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": String(50 << 20) });
      res.write("{");
    });
    const t = http();
    await expect(t.call("getpeerinfo", [], 2000)).rejects.toMatchObject({
      kind: "protocol",
      message: expect.stringMatching(/reply of 52428800 bytes exceeds the limit/),
    });
    t.close();
  });

  it("gives a clear error for a reply nested 20,000 levels deep, and stays up", async () => {
    stub.custom.set("getpeerinfo", (res, id) =>
      res.writeHead(200).end(`{"result":${"[".repeat(20_000)}${"]".repeat(20_000)},"error":null,"id":${JSON.stringify(id)}}`),
    );
    const r = runPoller(http(), [{ method: "getpeerinfo", intervalMs: 60_000 }]);
    poller = r.poller;
    await until(() => r.health.length > 0);
    expect(r.health.at(-1)).toMatchObject({ state: "down", detail: "getpeerinfo: reply nests deeper than 64 levels" });
    expect(r.events).toEqual([]);
  });

  it("counts a result too large for one event line, and a ping time that would become Infinity", async () => {
    const info = captureJson("rpc/getnetworkinfo.json") as object;
    stub.custom.set("getnetworkinfo", (res, id) =>
      res.writeHead(200).end(JSON.stringify({ result: { ...info, padding: "x".repeat(10 << 20) }, error: null, id })),
    );
    const peers = (captureJson("rpc/getpeerinfo.json") as object[]).map((p) => ({ ...p, pingtime: 1e306 }));
    stub.custom.set("getpeerinfo", (res, id) => res.writeHead(200).end(JSON.stringify({ result: peers, error: null, id })));
    const r = runPoller(
      http(),
      [
        { method: "getnetworkinfo", intervalMs: 60_000 },
        { method: "getpeerinfo", intervalMs: 60_000 },
      ],
      5000,
    );
    poller = r.poller;
    await until(() => r.events.length >= 2, 10_000);
    const reasons = r.events.map((e) => (e.type === "events.dropped" ? e.data.reason : e.type)).sort();
    expect(reasons).toEqual([
      expect.stringMatching(/^getnetworkinfo reply: \d+ bytes, too large for one event line/),
      expect.stringMatching(/^getpeerinfo reply: at \[0\]\.pingtime: /),
    ]);
  });

  it("keeps user info of the URL out of the request and of every message", async () => {
    const t = new HttpRpcTransport({
      url: stub.url.replace("http://", "http://alice:hunter2@"),
      credentials: { kind: "cookie", path: stub.cookie },
      timeoutMs: 500,
    });
    expect(t.name).toBe(stub.url);
    await expect(t.call("uptime", [], 500)).resolves.toBe(12);
    t.close();
  });

  it("forgets a slow method's failure to reach the node once the node answers again", async () => {
    // Drill finding: a slow method (polled every 120 s) whose call broke when the node was killed
    // kept the source down for up to two minutes after the node was back and answering.
    let reachable = true;
    const transport: RpcTransport = {
      name: "fake node",
      call: async (method) => {
        if (!reachable) throw new RpcError("transport", `${method}: connection refused by fake node (node not running, or RPC not enabled)`);
        return captureJson(`rpc/${method}.json`);
      },
    };
    const r = runPoller(transport, [
      { method: "getpeerinfo", intervalMs: 600_000 },
      { method: "getmemoryinfo", intervalMs: 600_000 },
    ]);
    poller = r.poller;
    await until(() => r.health.at(-1)?.state === "up");
    reachable = false;
    await r.poller.poll("getmemoryinfo");
    expect(r.health.at(-1)).toMatchObject({ state: "down", detail: expect.stringMatching(/^getmemoryinfo: connection refused/) });
    reachable = true;
    await r.poller.poll("getpeerinfo");
    expect(r.health.at(-1)?.state).toBe("up");
    // A method's own trouble (the node answering "no") is not forgotten that way.
    reachable = false;
    await r.poller.poll("getpeerinfo");
    reachable = true;
    transport.call = async (method) => {
      if (method === "getmemoryinfo") throw new RpcError("rpc", "getmemoryinfo: not today", -1);
      return captureJson(`rpc/${method}.json`);
    };
    await r.poller.poll("getmemoryinfo");
    await r.poller.poll("getpeerinfo");
    expect(r.health.at(-1)).toMatchObject({ state: "degraded", detail: "getmemoryinfo: not today" });
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

  it("over IPC, rejects a reply nested 20,000 levels deep that the loose schema would have let through", async () => {
    // getnetworkinfo's schema keeps unknown fields: without the depth bound this reply passed it,
    // then failed to encode, and snapshots vanished while the source said "up".
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-deep-"));
    const info = captureJson("rpc/getnetworkinfo.json") as object;
    fs.writeFileSync(
      path.join(dir, "getnetworkinfo.json"),
      JSON.stringify({ ...info, x: 0 }).replace('"x":0', `"x":${"[".repeat(20_000)}${"]".repeat(20_000)}`),
    );
    const node = new Standin((bin as { path: string }).path, [], undefined, dir);
    await node.start();
    const session = await IpcSession.connect(node.socket, { maxMessageBytes: 1 << 26 });
    const thread = await session.makeThread(await session.construct(), "calls");
    const caps = await probeCapabilities(session, thread, 5000);
    const r = runPoller(new IpcRpcTransport(session, caps.rpc!, thread), [{ method: "getnetworkinfo", intervalMs: 60_000 }], 2000, "ipc");
    await until(() => r.health.length > 0);
    r.poller.stop();
    expect(r.health.at(-1)).toMatchObject({ state: "down", detail: "getnetworkinfo: reply nests deeper than 64 levels" });
    expect(r.events.filter((e) => e.type === "rpc.snapshot")).toEqual([]);
    session.close();
    await node.stop();
  });
});
