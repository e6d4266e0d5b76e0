// Who the node is, from user agents and the log's version line; Knots-style RPC replies
// (test/fixtures/knots) validate, and the poller tells node.info from them.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { MemoryBus } from "../../src/bus/index.js";
import { explainMissingIpc } from "../../src/cli/ipc-explainer.js";
import { RpcPoller } from "../../src/sources/rpc-poller.js";
import { RpcError, type RpcTransport } from "../../src/codecs/jsonrpc/transport.js";
import { toPeerInfo } from "../../src/codecs/jsonrpc/peers.js";
import { RPC_SNAPSHOT_SCHEMAS, decodeEvent, emitterFor, getPeerInfoResult, makeEvent, type PeerwatchEvent } from "../../src/events/index.js";
import { parseUserAgent, parseVersionLine, servesIpc } from "../../src/events/node-identity.js";
import { HttpRpcTransport } from "../../src/rpc/http-transport.js";
import { runningNodeBinary } from "../../src/sources/discover.js";
import { REPO_ROOT, captureJson } from "../helpers/capture.js";
import { StubBitcoind } from "../helpers/stub-bitcoind.js";
import { until } from "../helpers/wait.js";

const KNOTS_DIR = path.join(REPO_ROOT, "test/fixtures/knots");
const knots = (m: string) => JSON.parse(fs.readFileSync(path.join(KNOTS_DIR, `${m}.json`), "utf8")) as unknown;

describe("parseUserAgent", () => {
  it("tells Bitcoin Core, Bitcoin Knots and others apart", () => {
    expect(parseUserAgent("/Satoshi:31.99.0/")).toEqual({
      implementation: "Bitcoin Core",
      version: "31.99.0",
      userAgent: "/Satoshi:31.99.0/",
      ipcCapable: true,
    });
    expect(parseUserAgent("/Satoshi:31.99.0/Knots:20250101-abc/")).toEqual({
      implementation: "Bitcoin Knots",
      version: "31.99.0",
      implementationVersion: "20250101-abc",
      userAgent: "/Satoshi:31.99.0/Knots:20250101-abc/",
      ipcCapable: false,
    });
    expect(parseUserAgent("/Satoshi:29.1.0(my node; eu)/Knots:20250903/")).toMatchObject({
      implementation: "Bitcoin Knots",
      version: "29.1.0",
      implementationVersion: "20250903",
    });
    expect(parseUserAgent("/Satoshi:27.0.0(uacomment)/")).toMatchObject({ implementation: "Bitcoin Core", version: "27.0.0" });
    expect(parseUserAgent("/btcd:0.24.2/")).toMatchObject({ implementation: "other", version: "btcd:0.24.2" });
    expect(parseUserAgent("/Satoshi:28.0.0/SomethingElse:1/")).toMatchObject({ implementation: "other", version: "SomethingElse:1" });
    expect(parseUserAgent("")).toBeUndefined();
    expect(parseUserAgent("not a user agent")).toBeUndefined();
    expect(parseUserAgent("/" + "x".repeat(10_000))).toBeUndefined();
  });

  it("reads the log's version line, Core and Knots", () => {
    expect(parseVersionLine("Bitcoin Core version v31.99.0-b88bffe550a3 (release build)")).toMatchObject({
      implementation: "Bitcoin Core",
      version: "v31.99.0-b88bffe550a3",
    });
    expect(parseVersionLine("Bitcoin Knots version v29.1.knots20250903")).toMatchObject({
      implementation: "Bitcoin Knots",
      version: "29.1",
      implementationVersion: "20250903",
      ipcCapable: false,
    });
    expect(parseVersionLine("Bitcoin Core version")).toBeUndefined();
    expect(servesIpc("Bitcoin Knots")).toBe(false);
    expect(servesIpc("Bitcoin Core")).toBe(true);
  });
});

describe("Knots-style RPC replies (test/fixtures/knots, written from Knots' format)", () => {
  const envelope = (data: unknown) => ({ v: 1, ts: 1, node: "n", source: "rpc", type: "rpc.snapshot", data });

  for (const method of ["getnetworkinfo", "getmempoolinfo", "getblockchaininfo"] as const) {
    it(`${method} validates, keeping Knots' extra fields`, () => {
      const reply = knots(method) as Record<string, unknown>;
      expect(RPC_SNAPSHOT_SCHEMAS[method].safeParse(reply).success).toBe(true);
      const r = decodeEvent(envelope({ method, result: reply }));
      expect(r.ok, r.ok ? "" : JSON.stringify(r.error)).toBe(true);
    });
  }

  it("getmempoolinfo without fullrbf and with the fee histogram", () => {
    const r = RPC_SNAPSHOT_SCHEMAS.getmempoolinfo.parse(knots("getmempoolinfo")) as Record<string, unknown>;
    expect(r.fullrbf).toBeUndefined();
    expect(r.rbf_policy).toBe("always");
    expect(r.fee_histogram).toBeTypeOf("object");
  });

  it("getpeerinfo with Knots' kept fields becomes the same peers.snapshot data", () => {
    const peers = getPeerInfoResult.parse(knots("getpeerinfo")).map(toPeerInfo);
    const core = getPeerInfoResult.parse(captureJson("rpc/getpeerinfo.json")).map(toPeerInfo);
    expect(peers).toEqual(core.map((p) => ({ ...p, subversion: "/Satoshi:31.99.0/Knots:20250101-abc/" })));
    expect(decodeEvent({ ...envelope({ peers }), type: "peers.snapshot" }).ok).toBe(true);
  });
});

describe("node.info from the poller, and the IPC explanation", () => {
  it("tells who the node is from getnetworkinfo, once, and again after the node came back", async () => {
    const stub = new StubBitcoind(KNOTS_DIR);
    await stub.start();
    const http = new HttpRpcTransport({ url: stub.url, credentials: { kind: "cookie", path: stub.cookie }, timeoutMs: 500 });
    let nodeDown = false;
    // The stub's replies over real HTTP, or "connection refused" while the node is away.
    const transport: RpcTransport = {
      name: "knots stub",
      call: (m, p, t) => (nodeDown ? Promise.reject(new RpcError("transport", "connect ECONNREFUSED")) : http.call(m, p, t)),
    };
    const events: PeerwatchEvent[] = [];
    const poller = new RpcPoller({
      source: "rpc",
      transport,
      schedule: [{ method: "getnetworkinfo", intervalMs: 50 }],
      timeoutMs: 500,
      emit: (type, data) => void events.push(makeEvent("rpc", "t", type, data) as PeerwatchEvent),
      identity: () => ({ chain: "regtest", multiprocess: false }),
    });
    poller.start();
    const infos = () => events.filter((e) => e.type === "node.info");
    await until(() => events.filter((e) => e.type === "rpc.snapshot").length >= 3);
    expect(infos()).toHaveLength(1);
    expect(infos()[0]?.data).toEqual({
      implementation: "Bitcoin Knots",
      version: "31.99.0",
      implementationVersion: "20250101-abc",
      userAgent: "/Satoshi:31.99.0/Knots:20250101-abc/",
      ipcCapable: false,
      chain: "regtest",
      multiprocess: false,
    });
    // The node goes away and comes back: it is told again.
    nodeDown = true;
    await until(() => poller.stats.failures > 0);
    expect(infos()).toHaveLength(1);
    nodeDown = false;
    await until(() => infos().length === 2, 5000);
    poller.stop();
    await stub.stop();
  });

  it("says the IPC source's node serves no IPC when a source learns it is Knots, and not while IPC is up", async () => {
    const bus = new MemoryBus({ nodeName: "n" });
    const seen: PeerwatchEvent[] = [];
    bus.subscribe({ name: "t" }, (e) => void seen.push(e));
    explainMissingIpc(
      bus,
      emitterFor("ipc", "n", (e) => bus.publish(e)),
    );
    const p2p = emitterFor("p2p", "n", (e) => bus.publish(e));
    const ipcStatus = () => seen.filter((e) => e.type === "source.status" && e.data.source === "ipc").map((e) => (e as PeerwatchEvent<"source.status">).data);
    emitterFor("ipc", "n", (e) => bus.publish(e))("source.status", {
      source: "ipc",
      state: "down",
      detail: "no IPC socket at x: start bitcoin-node with -ipcbind=unix",
    });
    p2p("node.info", { ...parseUserAgent("/Satoshi:31.99.0/Knots:20250101-abc/")!, chain: "regtest" });
    p2p("node.info", { ...parseUserAgent("/Satoshi:31.99.0/Knots:20250101-abc/")!, chain: "regtest" }); // reconnect: not repeated
    await until(() => ipcStatus().length === 2);
    await new Promise((r) => setTimeout(r, 50));
    expect(ipcStatus()).toHaveLength(2);
    expect(ipcStatus()[1]).toEqual({
      source: "ipc",
      state: "down",
      detail:
        "this node's implementation serves no IPC interface: it is Bitcoin Knots 31.99.0 (20250101-abc), told by the p2p source; peerwatch reads it through " +
        "the other sources",
    });
    await bus.close(100);
  });
});

describe("runningNodeBinary", () => {
  it("tells bitcoin-node from bitcoind by the binary the PID runs", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "pw-proc-"));
    const pidFile = path.join(root, "bitcoind.pid");
    for (const [pid, name, mp] of [
      [101, "bitcoin-node", true],
      [102, "bitcoind", false],
      [103, "other-thing", undefined],
    ] as const) {
      fs.mkdirSync(path.join(root, String(pid)));
      fs.symlinkSync(`/opt/node/bin/${name}`, path.join(root, String(pid), "exe"));
      fs.writeFileSync(pidFile, `${pid}\n`);
      expect(runningNodeBinary({ pidFile }, root)).toEqual({ pid, binary: `/opt/node/bin/${name}`, multiprocess: mp });
    }
    fs.rmSync(root, { recursive: true, force: true });
  });
});

describe("parseVersionLine leaves other version lines alone", () => {
  it.each(["Using asmap version 1a2b3c for IP bucketing", "Opened LevelDB version 1", "wallet version 169900", "Bitcoin Core version"])("%s", (l) => {
    expect(parseVersionLine(l)).toBeUndefined();
  });
  it("names other Bitcoin-derived clients as other", () => {
    expect(parseVersionLine("Bitcoin Fork version v1.0.0")).toMatchObject({ implementation: "other", version: "v1.0.0" });
  });
});
