// The NATS connection of the bus: the first connection (retried while the server is unreachable,
// given up at once when it refuses us) and the client's status changes afterwards, logged with
// server addresses only, never credentials.
import { connect, type ConnectionOptions, type NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "../../logger.js";
import { isRefusal, NatsBusError } from "./errors.js";
import { describeServers } from "./options.js";

/**
 * First connection: retried every second while the server is unreachable (events buffer
 * meanwhile), given up at once when the server refuses the credentials or the TLS set-up, which
 * waiting cannot fix (NatsBusError). Undefined when `closing` fires first.
 */
export async function connectFirst(
  connOpts: ConnectionOptions,
  o: { where: string; log: Logger; closing: AbortSignal; buffering: number },
): Promise<NatsConnection | undefined> {
  const { where, log, closing } = o;
  for (let attempt = 0; !closing.aborted; attempt++) {
    try {
      return await connect(connOpts);
    } catch (e) {
      const msg = (e as Error).message;
      if (isRefusal(e)) {
        log.error(`NATS: cannot connect to ${where}: ${msg}`);
        throw new NatsBusError(`cannot connect to NATS at ${where}: ${msg}`, { cause: e });
      }
      if (attempt % 30 === 0) log.warn(`NATS: ${where} not reachable (${msg}); retrying every second, buffering up to ${o.buffering} events`);
      await pause(1000, closing);
    }
  }
  return undefined;
}

/** Waits `ms`, or less when `signal` fires. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref();
    signal.addEventListener("abort", done, { once: true });
  });
}

export interface StatusHandlers {
  /** Events buffered meanwhile, said in the log. */
  buffering: number;
  disconnected(): void;
  reconnected(): void;
}

/** Status changes are logged (server addresses only, never credentials) and gate publishing. */
export async function watchStatus(nc: NatsConnection, log: Logger, h: StatusHandlers): Promise<void> {
  for await (const s of nc.status()) {
    switch (s.type) {
      case "disconnect":
        h.disconnected();
        log.warn(`NATS: disconnected from ${describeServers([s.server])}; buffering up to ${h.buffering} events`);
        break;
      case "reconnect":
        log.info(`NATS: reconnected to ${describeServers([s.server])}`);
        h.reconnected();
        break;
      case "error":
        log.warn(`NATS: server error: ${s.error.message}`);
        break;
      case "slowConsumer":
        log.warn(`NATS: slow consumer on ${s.sub.getSubject()}: ${s.pending} messages pending`);
        break;
      case "staleConnection":
        log.warn("NATS: connection stale (no pong), reconnecting");
        break;
      default:
        break;
    }
  }
}
