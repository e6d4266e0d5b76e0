// The IPC source: connects to bitcoin-node's -ipcbind=unix socket, finds what the node serves,
// and runs the tip watcher, the RPC poller over executeRpc and (patched nodes) net-message tracing.
// When the node goes away it reports down and reconnects with backoff; peerwatch never restarts.
import { RpcPoller, defaultSchedule } from "../codecs/jsonrpc/poller.js";
import { aborted, sleep } from "../sources/abort.js";
import { Backoff } from "../sources/backoff.js";
import { StatusReporter } from "../sources/status-reporter.js";
import type { Source, SourceContext } from "../sources/types.js";
import { ipcSocketPath, type IpcConfig } from "./descriptor.js";
import { NetTracing } from "./net-tracing.js";
import { describeCapabilities, probeCapabilities } from "./probe.js";
import { IpcRpcTransport } from "./rpc-transport.js";
import { IpcError, IpcSession, describeClose } from "./session.js";
import { TipWatcher } from "./tip-watcher.js";

/** After this long without an answer to the interface probe, report that the node is still loading. */
export const PROBE_NOTICE_MS = 2000;

type Ctx = SourceContext<IpcConfig>;

export class IpcSource implements Source<IpcConfig> {
  readonly name = "ipc" as const;

  async run(ctx: Ctx): Promise<void> {
    const status = new StatusReporter(ctx.emit, "ipc");
    const backoff = new Backoff(250, 15_000);
    while (!ctx.signal.aborted) {
      const wasUp = await this.connectOnce(ctx, status).catch((e: unknown) => {
        // A stop during connect closes the session: the call it interrupted is not news.
        if (!ctx.signal.aborted) status.report("down", e instanceof IpcError ? e.message : `unexpected: ${String(e)}`);
        return false;
      });
      if (ctx.signal.aborted) break;
      if (wasUp) backoff.reset();
      const delay = backoff.next();
      ctx.log.debug(`reconnecting in ${delay} ms`);
      await sleep(delay, ctx.signal);
    }
    status.report("down", "stopped"); // once: the reporter drops a repeat of the same status
  }

  /** One connection's life. Resolves true if it got up (so backoff restarts), false otherwise. */
  private async connectOnce(ctx: Ctx, status: StatusReporter): Promise<boolean> {
    const { config, emit, log, signal } = ctx;
    const socket = ipcSocketPath(config);
    const session = await IpcSession.connect(socket, {
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
        () => status.report("degraded", `connected to ${socket}; waiting for the node to finish loading (Init.makeMining answers once the chainstate is loaded)`),
        PROBE_NOTICE_MS,
      );
      const caps = await probeCapabilities(session, calls, timeoutMs).finally(() => clearTimeout(slow));
      const { names, detail } = describeCapabilities(caps);
      const upDetail = `connected to ${socket}; ${detail}`;
      status.report(caps.rpc && caps.mining ? "up" : "degraded", upDetail, names);
      log.debug({ missing: caps.missing }, "IPC interfaces not served");

      if (caps.mining) {
        tip = new TipWatcher(session, caps.mining, waits, calls, emit);
        tip.run().catch((e: unknown) => {
          if (!session.isClosed) {
            log.warn({ err: e }, "tip watcher stopped");
            status.report("degraded", `tip notifications failed: ${(e as Error).message}`, names);
          }
        });
      }
      if (caps.rpc) {
        poller = new RpcPoller({
          source: "ipc",
          transport: new IpcRpcTransport(session, caps.rpc, calls),
          schedule: defaultSchedule(config.rpcInterval * 1000, config.rpcSlowInterval * 1000, config.rpcDisable),
          timeoutMs,
          emit,
          onHealth: (h) => status.report(h.state === "up" ? "up" : "degraded", h.state === "up" ? upDetail : `executeRpc: ${h.detail}`, names),
          onUnsupported: (m, msg) => log.info(`the node does not know ${m} (${msg}); not polling it`),
          // Only the multiprocess bitcoin-node serves IPC.
          identity: () => ({ chain: config.chain, multiprocess: true }),
        });
        poller.start();
      } else {
        // No executeRpc to ask getnetworkinfo: what is known is that it serves IPC, so it is bitcoin-node.
        emit("node.info", { implementation: "Bitcoin Core", version: "unknown", chain: config.chain, multiprocess: true, ipcCapable: true });
      }
      if (caps.netTracing) {
        tracing = new NetTracing(session, caps.netTracing, traces, emit, { maxPayloadBytes: 0 });
        await tracing.subscribe().catch((e: unknown) => log.warn({ err: e }, "net-message tracing offered but subscribing failed"));
      }

      running = true;
      const reason = await Promise.race([session.ended, aborted(signal).then(() => undefined)]);
      // A stop that came during setup has already closed the session ("closed by peerwatch"):
      // that is a clean stop, not a lost connection.
      if (reason && !signal.aborted) {
        status.report("down", `IPC connection lost: ${describeClose(reason)}`);
      } else {
        // Shutdown: end the blocking wait, the subscription and the Echo object on the node.
        poller?.stop();
        await Promise.all([
          tip?.stop(),
          tracing?.close(),
          session.track("Echo.destroy", caps.echo.destroy(IpcSession.withThread(calls)).promise(), 5000).catch(() => {}),
        ]);
        status.report("down", "stopped");
      }
      return true;
    } finally {
      signal.removeEventListener("abort", onAbort);
      poller?.stop();
      session.close();
    }
  }
}
