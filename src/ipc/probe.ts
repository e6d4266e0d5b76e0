// Which interfaces does this node serve? Bitcoin Core's IPC interfaces are not promised stable
// across versions, so each is asked for and an error reply means "not served". Master (v31.99)
// serves Echo, Mining (@3) and Rpc (@4); v30 had Mining at @2 and no Rpc; patched nodes add
// Tracing (net messages) at Init @5.
import * as $ from "capnp-es";
import type { Echo$Client } from "./generated/echo.js";
import { Init$Client } from "./generated/init.js";
import type { Mining$Client } from "./generated/mining.js";
import type { Thread$Client } from "./generated/mp/proxy.js";
import type { Rpc$Client } from "./generated/rpc.js";
import { MakeTracingParams, MakeTracingResults, Tracing, type Tracing$Client } from "./generated/experimental/tracing_net.js";
import { IpcError, IpcSession } from "./session.js";

export interface IpcCapabilities {
  echo: Echo$Client;
  rpc: Rpc$Client | null;
  mining: Mining$Client | null;
  /** The experimental net-message tracing interface (patched nodes only). */
  netTracing: Tracing$Client | null;
  /** What was not served, and what the node said. */
  missing: Record<string, string>;
}

/** Init ordinal of makeTracing on the net-tracing fork (see capnp/experimental/tracing_net.capnp). */
export const MAKE_TRACING_NET_ORDINAL = 5;

const makeTracingNet: $.Method<MakeTracingParams, MakeTracingResults> = {
  ParamsClass: MakeTracingParams,
  ResultsClass: MakeTracingResults,
  interfaceId: Init$Client.interfaceId,
  methodId: MAKE_TRACING_NET_ORDINAL,
  interfaceName: "init.capnp:Init",
  methodName: "makeTracing",
};

export async function probeCapabilities(session: IpcSession, thread: Thread$Client, timeoutMs: number): Promise<IpcCapabilities> {
  const ctx = IpcSession.withThread(thread);
  const init = session.init;
  const missing: Record<string, string> = {};

  // Echo is served by every version with IPC: it proves the connection works end to end.
  const e = init.makeEcho(ctx);
  const echo = e.getResult();
  await session.track("Init.makeEcho", e.promise(), timeoutMs);
  const said = await session.track(
    "Echo.echo",
    echo
      .echo((p) => {
        ctx(p);
        p.echo = "peerwatch";
      })
      .promise(),
    timeoutMs,
  );
  if (said.result !== "peerwatch") throw new IpcError("protocol", "Echo.echo", `node echoed "${said.result.slice(0, 40)}"`);

  const optional = async <T>(name: string, ask: () => { promise(): Promise<unknown>; get(): T }, ms = timeoutMs): Promise<T | null> => {
    try {
      const a = ask();
      await session.track(name, a.promise(), ms);
      return a.get();
    } catch (err) {
      if (err instanceof IpcError && err.kind === "remote") {
        missing[name] = err.message;
        return null;
      }
      throw err;
    }
  };

  const [rpc, mining, netTracing] = await Promise.all([
    optional("Init.makeRpc", () => {
      const a = init.makeRpc(ctx);
      return { promise: () => a.promise(), get: () => a.getResult() };
    }),
    // makeMining waits until the chainstate is loaded: give it longer.
    optional(
      "Init.makeMining",
      () => {
        const a = init.makeMining(ctx);
        return { promise: () => a.promise(), get: () => a.getResult() };
      },
      Math.max(timeoutMs, 120_000),
    ),
    optional("Init.makeTracing", () => {
      const answer = init.client.call({ method: makeTracingNet, paramsFunc: (p: MakeTracingParams) => ctx(p) });
      const pipeline = new $.Pipeline(MakeTracingResults, answer);
      return {
        promise: () => pipeline.struct(),
        get: () => new Tracing.Client(pipeline.getPipeline(Tracing, 0).client()) as Tracing$Client,
      };
    }),
  ]);
  return { echo, rpc, mining, netTracing, missing };
}

export function describeCapabilities(c: IpcCapabilities): { names: string[]; detail: string } {
  // `net-tracing` is not a capability yet: the source adds it once the node accepted the subscription.
  const names = ["echo", ...(c.rpc ? ["rpc"] : []), ...(c.mining ? ["mining"] : [])];
  let detail = `serves ${names.join(", ")}${c.netTracing ? "; offers net-message tracing (Init.makeTracing @5)" : ""}`;
  if (!c.rpc && !c.mining)
    detail += "; neither Rpc nor Mining: this looks like Bitcoin Core v30 or older, peerwatch expects the interfaces of v31 (master); use the RPC poller";
  else if (!c.rpc) detail += "; no Rpc interface (Init.makeRpc @4): snapshots need the RPC poller";
  else if (!c.mining) detail += "; no Mining interface (Init.makeMining @3): no push tip notifications";
  return { names, detail };
}
