// The P2P source: one connection to the node (connect mode, --p2p) or from it (listen mode,
// --p2p-listen with the node started with -addnode), pinging it and timing the pongs.
// Reconnects (or keeps listening) with backoff; reports each change as source.status.
import net from "node:net";
import { CHAIN_PARAMS } from "../config/chains.js";
import { formatHostPort, type HostPort } from "../config/values.js";
import { aborted, sleep } from "../sources/abort.js";
import { Backoff } from "../sources/backoff.js";
import { StatusReporter } from "../sources/status-reporter.js";
import { parseUserAgent } from "../events/node-identity.js";
import type { Source, SourceContext } from "../sources/types.js";
import { p2pTarget, type P2pConfig } from "./options.js";
import { PeerConnection, V2_OFFERED } from "./peer-connection.js";

type Ctx = SourceContext<P2pConfig>;

export class P2pSource implements Source<P2pConfig> {
  readonly name = "p2p" as const;

  async run(ctx: Ctx): Promise<void> {
    const status = new StatusReporter(ctx.emit, "p2p");
    const target = p2pTarget(ctx.config);
    if (ctx.config.p2pListen) await this.listen(ctx, status, ctx.config.p2pListen);
    else if (target) await this.connect(ctx, status, target);
  }

  private handle(ctx: Ctx, status: StatusReporter, socket: net.Socket, target: string, role: "initiator" | "responder"): PeerConnection {
    const { config, emit } = ctx;
    return new PeerConnection(socket, {
      magic: CHAIN_PARAMS[config.chain].magic,
      target,
      pingIntervalMs: config.pingInterval * 1000,
      role,
      emit,
      onHandshake: (v) => {
        status.report(
          "up",
          `connected to ${target}: ${v.userAgent.slice(0, 100)} protocol ${v.version}, height ${v.startHeight}; pinging every ${config.pingInterval} s`,
        );
        // Who the node is, on every (re)connection: its user agent names the implementation.
        const info = parseUserAgent(v.userAgent);
        if (info) emit("node.info", { ...info, chain: config.chain });
      },
    });
  }

  private async connect(ctx: Ctx, status: StatusReporter, at: HostPort): Promise<void> {
    const target = formatHostPort(at);
    const backoff = new Backoff(500, 30_000);
    while (!ctx.signal.aborted) {
      const socket = net.createConnection({ host: at.host, port: at.port });
      const conn = this.handle(ctx, status, socket, target, "initiator");
      const onAbort = () => conn.close("stopped");
      ctx.signal.addEventListener("abort", onAbort, { once: true });
      let wasUp = false;
      socket.once("connect", () => (wasUp = true));
      const reason = await conn.ended;
      ctx.signal.removeEventListener("abort", onAbort);
      if (ctx.signal.aborted) break;
      // The node was reachable: a failure after that is news even if it reads the same.
      if (wasUp) status.forget();
      // Start again from the shortest delay only after a good connection: a node that breaks the
      // protocol or stalls is retried ever more slowly (it was every 0.5 s, 30 times in 15 s).
      if (conn.handshakeDone && !conn.misbehaved) backoff.reset();
      status.report("down", `${target}: ${reason}`);
      await sleep(backoff.next(), ctx.signal);
    }
    status.report("down", "stopped");
  }

  private async listen(ctx: Ctx, status: StatusReporter, at: HostPort): Promise<void> {
    let current: PeerConnection | undefined;
    const server = net.createServer((socket) => {
      if (current) {
        socket.destroy(); // one connection only: the pinger must not add load
        return;
      }
      const target = `${socket.remoteAddress?.replace(/^::ffff:/, "")}:${socket.remotePort}`;
      const conn = this.handle(ctx, status, socket, target, "responder");
      current = conn;
      void conn.ended.then((reason) => {
        current = undefined;
        if (reason === V2_OFFERED) {
          ctx.log.debug(`${target}: ${reason}`);
          return;
        }
        if (!ctx.signal.aborted) status.report("down", `${target}: ${reason}; listening again on ${formatHostPort(at)}`);
      });
    });
    const listening = await new Promise<string | undefined>((resolve) => {
      server.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      server.listen(at.port, at.host, () => resolve(undefined));
    });
    if (listening) {
      status.report("down", `cannot listen on ${formatHostPort(at)}: ${listening}`);
      return;
    }
    const addr = server.address() as net.AddressInfo;
    ctx.log.info(`P2P pinger listening on ${addr.address}:${addr.port}`);
    status.report("degraded", `listening on ${addr.address}:${addr.port}; waiting for the node (start it with -addnode=${addr.address}:${addr.port})`);
    await aborted(ctx.signal);
    current?.close("stopped");
    await new Promise<void>((r) => server.close(() => r()));
    status.report("down", "stopped");
  }
}
