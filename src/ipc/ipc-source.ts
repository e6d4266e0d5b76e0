// The IPC source: connects to bitcoin-node's -ipcbind=unix socket, finds what the node serves,
// and runs the tip watcher, the RPC poller over executeRpc and (patched nodes) net-message tracing.
// When the node goes away it reports down and reconnects with backoff; peerwatch never restarts.
import { RpcPoller, defaultSchedule } from "../sources/rpc-poller.js";
import { sleep, unlessAborted } from "../sources/abort.js";
import { Backoff } from "../sources/backoff.js";
import { StatusReporter } from "../sources/status-reporter.js";
import type { Source, SourceContext } from "../sources/types.js";
import { ipcSocketPath, type IpcConfig } from "./options.js";
import { NetTracing, TraceSubscribeError, explainSubscribeFailure } from "./net-tracing.js";
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
        () =>
          status.report("degraded", `connected to ${socket}; waiting for the node to finish loading (Init.makeMining answers once the chainstate is loaded)`),
        PROBE_NOTICE_MS,
      );
      const caps = await probeCapabilities(session, calls, timeoutMs).finally(() => clearTimeout(slow));
      const { names, detail } = describeCapabilities(caps);
      const upDetail = `connected to ${socket}; ${detail}`;
      // Net-message tracing adds to the status once the node accepted the subscription.
      const trace: TraceState = { names, note: "", trouble: false };
      const reportUp = () => status.report(caps.rpc && caps.mining && !trace.trouble ? "up" : "degraded", `${upDetail}${trace.note}`, trace.names);
      reportUp();
      log.debug({ missing: caps.missing }, "IPC interfaces not served");

      if (caps.mining) {
        const rpc = caps.rpc ? { transport: new IpcRpcTransport(session, caps.rpc, calls), timeoutMs } : undefined;
        tip = new TipWatcher(session, caps.mining, waits, calls, emit, rpc);
        tip.run().catch((e: unknown) => {
          if (!session.isClosed) {
            log.warn({ err: e }, "tip watcher stopped");
            status.report("degraded", `tip notifications failed: ${(e as Error).message}`, trace.names);
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
          // A call broken by the end of the connection is not news: the session's end says down. (Said
          // first, "degraded" hid the fall from up to down, and peerwatch_source_restarts_total missed it.)
          onHealth: (h) => {
            if (session.isClosed) return;
            if (h.state === "up") reportUp();
            else status.report("degraded", `executeRpc: ${h.detail}`, trace.names);
          },
          onUnsupported: (m, msg) => log.info(`the node does not know ${m} (${msg}); not polling it`),
          // Only the multiprocess bitcoin-node serves IPC.
          identity: () => ({ chain: config.chain, multiprocess: true }),
        });
        poller.start();
      } else {
        // No executeRpc to ask getnetworkinfo: what is known is that it serves IPC, so it is bitcoin-node.
        emit("node.info", { implementation: "Bitcoin Core", version: "unknown", chain: config.chain, multiprocess: true, ipcCapable: true });
      }
      if (caps.netTracing && !config.ipcTrace) {
        trace.note = "; net-message tracing offered, not subscribed (--ipc-trace off)";
        reportUp();
      } else if (caps.netTracing) {
        tracing = new NetTracing(
          session,
          caps.netTracing,
          traces,
          emit,
          {
            payloadBytes: config.payloadBytes,
            maxQueueEvents: config.ipcTraceQueueEvents,
            maxBatchEvents: config.ipcTraceBatchEvents,
            maxBatchWaitUs: config.ipcTraceBatchWaitUs,
          },
          (d) => log.warn(d),
        );
        void keepSubscribed(tracing, trace, reportUp, session, signal);
      }

      running = true;
      const reason = await unlessAborted(session.ended, signal);
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

interface TraceState {
  /** Capabilities in source.status: `net-tracing` joins them once traceNetMessages succeeded. */
  names: string[];
  /** Appended to the up detail: what tracing does, or why it does not. */
  note: string;
  /** Tracing is offered but not working: the source says degraded. */
  trouble: boolean;
}

/** Subscribes to net-message tracing; when the node has no room for another subscriber, tries again later. */
async function keepSubscribed(tracing: NetTracing, t: TraceState, report: () => void, session: IpcSession, signal: AbortSignal): Promise<void> {
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal.addEventListener("abort", onAbort, { once: true });
  void session.ended.then(onAbort);
  const backoff = new Backoff(5000, 60_000);
  try {
    while (!stop.signal.aborted) {
      try {
        await tracing.subscribe();
        t.names = [...t.names, "net-tracing"];
        t.note = `; ${tracing.describe()}`;
        t.trouble = false;
        report();
        return;
      } catch (e) {
        if (session.isClosed || stop.signal.aborted) return;
        const err = e instanceof TraceSubscribeError ? e : explainSubscribeFailure(e);
        const wait = err.retry ? backoff.next() : 0;
        t.note = `; net-message tracing not subscribed: ${err.message}${err.retry ? `; trying again in ${Math.round(wait / 1000)} s` : ""}`;
        t.trouble = true;
        report();
        if (!err.retry) return;
        await sleep(wait, stop.signal);
      }
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
