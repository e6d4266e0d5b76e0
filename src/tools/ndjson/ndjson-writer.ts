// Writes every event as one JSON line to a file or stdout. Honours the stream's backpressure: the
// handler waits for 'drain', so a slow disk or pipe fills this subscriber's bounded bus queue and
// the overflow is counted as dropped instead of growing memory.
import fs from "node:fs";
import { once } from "node:events";
import type { EventBus, Subscription } from "../../bus/index.js";
import { encodeEvent, type PeerwatchEvent } from "../../events/index.js";
import type { Logger } from "../../logger.js";

export interface NdjsonWriter {
  subscription: Subscription;
  /** Resolves once every line written so far has reached the file (durable readers ack after it). */
  flushed(): Promise<void>;
  close(): Promise<void>;
}

export function startNdjsonWriter(bus: EventBus, target: string, log: Logger): NdjsonWriter {
  const toStdout = target === "-";
  const stream: NodeJS.WritableStream = toStdout ? process.stdout : fs.createWriteStream(target, { flags: "a" });
  let failed = false;
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (failed) return;
    failed = true;
    // EPIPE: the reader went away (e.g. `| head`): stop writing, keep observing.
    log.warn({ target, code: err.code }, `event output stopped: ${err.message}`);
  });
  const subscription = bus.subscribe({ name: "ndjson", maxQueue: 50_000 }, async (e: PeerwatchEvent) => {
    if (failed) return;
    if (!stream.write(encodeEvent(e) + "\n")) await Promise.race([once(stream, "drain"), once(stream, "error")]);
  });
  return {
    subscription,
    flushed: () => (failed ? Promise.resolve() : new Promise<void>((resolve) => stream.write("", () => resolve()))),
    async close() {
      subscription.unsubscribe();
      if (toStdout || failed) return;
      const ws = stream as fs.WriteStream;
      await new Promise<void>((resolve) => ws.end(resolve));
    },
  };
}
