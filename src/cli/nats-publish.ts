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

/**
 * `waitForRoom` (replay): the forwarder waits while the NATS buffer is over half full, so the
 * player waits for room too and nothing is dropped. Live (observe) it does not wait: a node does
 * not slow down for us, so what cannot be sent is dropped and counted.
 */
export function startNatsPublisher(
  bus: MemoryBus,
  config: Pick<ObserveConfig, "nodeName"> & NatsConnectSettings,
  log: Logger,
  command = "observe",
  waitForRoom = false,
): NatsBus {
  const nats = new NatsBus(config, {
    nodeName: config.nodeName,
    log,
    clientName: `peerwatch ${command} ${config.nodeName}`,
    stream: config.natsStream ? { name: config.natsStream, maxAgeSeconds: config.natsStreamMaxAge, maxBytes: config.natsStreamMaxBytes } : undefined,
    onReport: (e) => bus.publish(e),
  });
  bus.subscribe({ name: "nats", maxQueue: 100_000 }, (e) => {
    nats.publish(e);
    if (waitForRoom && nats.buffered > config.natsBuffer / 2) return nats.whenRoom();
  });
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
