// The IPC source: connects to bitcoin-node's -ipcbind=unix socket, finds what the node serves,
// and runs the tip watcher, the RPC poller over executeRpc and (patched nodes) net-message tracing.
// When the node goes away it reports down and reconnects with backoff; peerwatch never restarts.
import type { Emit } from "../events/index.js";
import { RpcPoller, defaultSchedule } from "../rpc/poller.js";
import { aborted, sleep } from "../sources/abort.js";
import type { Source, SourceContext } from "../sources/types.js";
import { NetTracing } from "./net-tracing.js";
import { describeCapabilities, probeCapabilities } from "./probe.js";
import { IpcRpcTransport } from "./rpc-transport.js";
import { IpcError, IpcSession, describeClose } from "./session.js";
import { TipWatcher } from "./tip-watcher.js";

export const BACKOFF_MIN_MS = 250;
export const BACKOFF_MAX_MS = 15_000;
/** After this long without an answer to the interface probe, report that the node is still loading. */
export const PROBE_NOTICE_MS = 2000;

export class IpcSource implements Source {
  readonly name = "ipc" as const;
  private lastStatus = "";

  async run(ctx: SourceContext): Promise<void> {
    let backoff = BACKOFF_MIN_MS;
    while (!ctx.signal.aborted) {
      const wasUp = await this.connectOnce(ctx).catch((e: unknown) => {
        this.status(ctx.emit, "down", e instanceof IpcError ? e.message : `unexpected: ${String(e)}`);
        return false;
      });
      if (ctx.signal.aborted) break;
      backoff = wasUp ? BACKOFF_MIN_MS : Math.min(backoff * 2, BACKOFF_MAX_MS);
      ctx.log.debug(`reconnecting in ${backoff} ms`);
      await sleep(backoff, ctx.signal);
    }
  }

  private status(emit: Emit, state: "up" | "down" | "degraded", detail: string, capabilities?: string[]): void {
    const key = `${state}|${detail}`;
    if (key === this.lastStatus) return; // a retry that fails the same way is not news
    this.lastStatus = key;
    emit("source.status", { source: "ipc", state, detail, ...(capabilities ? { capabilities } : {}) });
  }

  /** One connection's life. Resolves true if it got up (so backoff restarts), false otherwise. */
  private async connectOnce(ctx: SourceContext): Promise<boolean> {
    const { config, emit, log, signal } = ctx;
    const session = await IpcSession.connect(config.ipcSocket, {
      maxMessageBytes: config.ipcMaxMessageBytes,
      ...(ctx.instruments ? { onCall: ctx.instruments.ipcCall } : {}),
    });
    // Until the loops run, an abort just drops the connection; after, shutdown is graceful.
    let running = false;
    const onAbort = () => {
      if (!running) session.close();
    };
    signal.addEventListener("abort", onAbort, { once: true });
    const timeoutMs = config.rpcTimeout * 1000;
    let tip: TipWatcher | undefined;
    let poller: RpcPoller | undefined;
    let tracing: NetTracing | undefined;
    try {
      const threadMap = await session.construct();
      // One server thread for short calls, one per long-running loop.
      const [calls, waits, traces] = await Promise.all([
        session.makeThread(threadMap, "peerwatch-calls"),
        session.makeThread(threadMap, "peerwatch-tip"),
        session.makeThread(threadMap, "peerwatch-trace"),
      ]);
      // makeMining waits until a starting node has loaded its chainstate: say so if that takes a while.
      const slow = setTimeout(
        () => this.status(emit, "degraded", `connected to ${config.ipcSocket}; waiting for the node to finish loading (Init.makeMining answers once the chainstate is loaded)`),
        PROBE_NOTICE_MS,
      );
      const caps = await probeCapabilities(session, calls, timeoutMs).finally(() => clearTimeout(slow));
      const { names, detail } = describeCapabilities(caps);
      const upDetail = `connected to ${config.ipcSocket}; ${detail}`;
      this.status(emit, caps.rpc && caps.mining ? "up" : "degraded", upDetail, names);
      log.debug({ missing: caps.missing }, "IPC interfaces not served");

      if (caps.mining) {
        tip = new TipWatcher(session, caps.mining, waits, calls, emit);
        tip.run().catch((e: unknown) => {
          if (!session.isClosed) {
            log.warn({ err: e }, "tip watcher stopped");
            this.status(emit, "degraded", `tip notifications failed: ${(e as Error).message}`, names);
          }
        });
      }
      if (caps.rpc) {
        poller = new RpcPoller({
          transport: new IpcRpcTransport(session, caps.rpc, calls),
          schedule: defaultSchedule(config.rpcInterval * 1000, config.rpcSlowInterval * 1000, config.rpcDisable),
          timeoutMs,
          emit,
          onHealth: (h) => this.status(emit, h.state === "up" ? "up" : "degraded", h.state === "up" ? upDetail : `executeRpc: ${h.detail}`, names),
          onUnsupported: (m, msg) => log.info(`the node does not know ${m} (${msg}); not polling it`),
        });
        poller.start();
      }
      if (caps.netTracing) {
        tracing = new NetTracing(session, caps.netTracing, traces, emit, { maxPayloadBytes: 0 });
        await tracing.subscribe().catch((e: unknown) => log.warn({ err: e }, "net-message tracing offered but subscribing failed"));
      }

      running = true;
      const reason = await Promise.race([session.ended, aborted(signal).then(() => undefined)]);
      if (reason) {
        this.status(emit, "down", `IPC connection lost: ${describeClose(reason)}`);
      } else {
        // Shutdown: end the blocking wait, the subscription and the Echo object on the node.
        poller?.stop();
        await Promise.all([
          tip?.stop(),
          tracing?.close(),
          session.track("Echo.destroy", caps.echo.destroy(IpcSession.withThread(calls)).promise(), 5000).catch(() => {}),
        ]);
        this.status(emit, "down", "stopped");
      }
      return true;
    } finally {
      signal.removeEventListener("abort", onAbort);
      poller?.stop();
      session.close();
    }
  }
}

export async function createIpcSource(): Promise<Source> {
  return new IpcSource();
}
