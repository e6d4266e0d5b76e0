// The poller against a real bitcoin-node on regtest over both transports (runs when BITCOIN_NODE
// and BITCOIN_CLI are set): same methods, same snapshot shape, all valid.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeEvent, type Emit, type PeerwatchEvent } from "../../src/events/index.js";
import { probeCapabilities } from "../../src/ipc/probe.js";
import { IpcRpcTransport } from "../../src/ipc/rpc-transport.js";
import { IpcSession } from "../../src/ipc/session.js";
import { HttpRpcTransport } from "../../src/rpc/http-transport.js";
import { RpcPoller, defaultSchedule } from "../../src/sources/rpc-poller.js";
import type { RpcTransport } from "../../src/codecs/jsonrpc/transport.js";
import { RealNode, realNodeBinaries } from "../helpers/real-node.js";
import { reportSkip } from "../helpers/skip.js";

const bins = realNodeBinaries("bitcoin-node");

async function pollOnce(transport: RpcTransport, source: "rpc" | "ipc"): Promise<PeerwatchEvent[]> {
  const events: PeerwatchEvent[] = [];
  const emit: Emit = (type, data) => void events.push(makeEvent("rpc", "t", type, data) as PeerwatchEvent);
  const poller = new RpcPoller({ source, transport, schedule: defaultSchedule(60_000, 60_000), timeoutMs: 10_000, emit });
  poller.start();
  const end = Date.now() + 20_000;
  // One event per method, and the node.info getnetworkinfo tells.
  while (events.length < 12 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  poller.stop();
  return events;
}

/** The shape of an event: its type/method and its keys, recursively for objects. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.length ? [shape(v[0])] : [];
  if (v && typeof v === "object")
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, shape((v as Record<string, unknown>)[k])]),
    );
  return typeof v;
}

describe.skipIf("skip" in bins)("RPC poller against a real bitcoin-node", () => {
  let node: RealNode;
  beforeAll(async () => {
    const b = bins as { node: string; cli: string };
    node = new RealNode(b.node, b.cli);
    await node.start();
  });
  afterAll(() => node?.stop());

  it("gets every snapshot, valid, with the same shape over HTTP and IPC", async () => {
    const viaHttp = await pollOnce(
      new HttpRpcTransport({ url: `http://127.0.0.1:${node.rpcPort}`, credentials: { kind: "cookie", path: node.cookie }, timeoutMs: 10_000 }),
      "rpc",
    );
    const session = await IpcSession.connect(node.ipcSocket, { maxMessageBytes: 1 << 26 });
    const thread = await session.makeThread(await session.construct(), "calls");
    const caps = await probeCapabilities(session, thread, 10_000);
    const viaIpc = await pollOnce(new IpcRpcTransport(session, caps.rpc!, thread), "ipc");
    session.close();
    const byKey = (events: PeerwatchEvent[]) => Object.fromEntries(events.map((e) => [e.type === "rpc.snapshot" ? e.data.method : e.type, shape(e.data)]));
    expect(viaHttp.filter((e) => e.type === "events.dropped")).toEqual([]);
    expect(Object.keys(byKey(viaHttp)).sort()).toEqual([
      "getaddrmaninfo",
      "getblockchaininfo",
      "getchaintxstats",
      "getmemoryinfo",
      "getmempoolinfo",
      "getnettotals",
      "getnetworkinfo",
      "getorphantxs",
      "listbanned",
      "node.info",
      "peers.snapshot",
      "uptime",
    ]);
    expect(byKey(viaIpc)).toEqual(byKey(viaHttp));
    // Who the node is, from its getnetworkinfo subversion, the same over both transports.
    const info = viaHttp.find((e) => e.type === "node.info");
    expect(info?.data).toMatchObject({ implementation: "Bitcoin Core", version: expect.stringMatching(/^\d+\.\d+\.\d+$/), ipcCapable: true });
    expect(viaIpc.find((e) => e.type === "node.info")?.data).toEqual(info?.data);
  });
});

if ("skip" in bins) reportSkip("RPC poller against a real bitcoin-node", bins.skip);
