// `observe --nats`: every event on the in-process bus is also published to NATS (the local tools
// keep working); the NATS bus's own loss reports come back onto the in-process bus, so the local
// metrics count them and they travel to NATS like any event.
import type { MemoryBus } from "../bus/index.js";
import { NatsBus } from "../bus/nats/nats-bus.js";
import type { NatsConnectSettings } from "../bus/nats/options.js";
import type { ObserveConfig } from "./observe-options.js";
import type { Logger } from "../logger.js";

/** How long startup waits for the first connection before going on with events buffered. */
const FIRST_CONNECT_WAIT_MS = 5000;

export function startNatsPublisher(bus: MemoryBus, config: ObserveConfig & NatsConnectSettings, log: Logger): NatsBus {
  const nats = new NatsBus(config, {
    nodeName: config.nodeName,
    log,
    clientName: `peerwatch observe ${config.nodeName}`,
    stream: config.natsStream ? { name: config.natsStream, maxAgeSeconds: config.natsStreamMaxAge, maxBytes: config.natsStreamMaxBytes } : undefined,
    onReport: (e) => bus.publish(e),
  });
  bus.subscribe({ name: "nats", maxQueue: 100_000 }, (e) => nats.publish(e));
  return nats;
}

/**
 * Waits for the first connection: false when the server refused us (credentials, TLS: waiting
 * will not help); true when connected, or when the server is only unreachable for now (the bus
 * buffers and keeps trying), or when stopped meanwhile.
 */
export async function awaitNats(nats: NatsBus, log: Logger, signal?: AbortSignal): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([
    nats.ready.then(
      () => "up" as const,
      (e: Error) => e,
    ),
    new Promise<"slow">((resolve) => {
      timer = setTimeout(() => resolve("slow"), FIRST_CONNECT_WAIT_MS);
      signal?.addEventListener("abort", () => resolve("slow"), { once: true });
    }),
  ]);
  clearTimeout(timer);
  if (r instanceof Error) return false; // the bus has logged why
  if (r === "slow" && !signal?.aborted) log.warn("NATS: not connected yet; events are buffered meanwhile");
  return true;
}
