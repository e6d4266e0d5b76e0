// Writes every event as one JSON line to a file or stdout. Honours the stream's backpressure: the
// handler waits for 'drain', so a slow disk or pipe fills this subscriber's bounded bus queue and
// the overflow is counted as dropped instead of growing memory. Nothing is lost silently: an event
// that cannot be encoded, a write that fails (disk full) and every event after the output failed
// are counted and reported as `events.dropped` (source "ndjson"), summed once a second.
import fs from "node:fs";
import type { EventBus, Subscription } from "../../bus/index.js";
import { encodeEvent, makeEvent, type PeerwatchEvent } from "../../events/index.js";
import type { Logger } from "../../logger.js";

export class NdjsonError extends Error {
  override name = "NdjsonError";
}

export interface NdjsonWriter {
  subscription: Subscription;
  /** Events lost so far, by reason. */
  readonly lost: ReadonlyMap<string, number>;
  close(): Promise<void>;
}

/** How often lost events are summed into one `events.dropped` per reason. */
const REPORT_MS = 1000;

/** Waits until the stream drains, fails or closes; removes its listeners whichever comes first. */
function drained(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off("drain", done);
      stream.off("error", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("error", done);
    stream.on("close", done);
  });
}

/** Opens the events file for appending; a clear error (not a crash later) when it cannot be written. */
function openTarget(target: string): fs.WriteStream {
  let fd: number;
  try {
    const st = fs.statSync(target, { throwIfNoEntry: false });
    if (st?.isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
    fd = fs.openSync(target, "a");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new NdjsonError(`cannot write events to ${target}: ${code}${code === "EACCES" || code === "EROFS" ? " (read-only)" : ""}`);
  }
  return fs.createWriteStream(target, { fd, flags: "a" });
}

export function startNdjsonWriter(bus: EventBus, target: string, log: Logger): NdjsonWriter {
  const toStdout = target === "-";
  const stream: NodeJS.WritableStream = toStdout ? process.stdout : openTarget(target);
  let failure: string | undefined;
  let node = "";
  const lost = new Map<string, number>();
  const unreported = new Map<string, number>();
  const count = (reason: string, n = 1): void => {
    lost.set(reason, (lost.get(reason) ?? 0) + n);
    unreported.set(reason, (unreported.get(reason) ?? 0) + n);
  };
  const report = (): void => {
    for (const [reason, n] of unreported) bus.publish(makeEvent("peerwatch", node, "events.dropped", { source: "ndjson", count: n, reason }));
    unreported.clear();
  };
  const timer = setInterval(report, REPORT_MS);
  timer.unref();

  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (failure) return;
    failure = `event output failed: ${err.code ?? err.message}`.slice(0, 200);
    // EPIPE: the reader went away (e.g. `| head`): stop writing, keep observing, count what is lost.
    log.warn({ target, code: err.code }, `event output stopped: ${err.message}; every further event is counted as dropped`);
  });
  const subscription = bus.subscribe({ name: "ndjson", maxQueue: 50_000 }, async (e: PeerwatchEvent) => {
    node = e.node;
    // Our own loss reports cannot be written either: counting them would feed on itself.
    if (e.type === "events.dropped" && e.data.source === "ndjson" && failure) return;
    if (failure) return count(failure);
    let line: string;
    try {
      line = encodeEvent(e) + "\n";
    } catch (err) {
      return count(`event could not be encoded (${e.type})`.slice(0, 200));
    }
    const ok = stream.write(line, (err?: Error | null) => {
      if (err) count(`event output failed: ${(err as NodeJS.ErrnoException).code ?? err.message}`.slice(0, 200));
    });
    if (!ok) await drained(stream);
  });
  return {
    subscription,
    lost,
    async close() {
      subscription.unsubscribe();
      clearInterval(timer);
      if (!toStdout && !failure) {
        const ws = stream as fs.WriteStream;
        await new Promise<void>((resolve) => {
          ws.once("error", () => resolve());
          ws.end(resolve);
        });
      }
      report();
      const total = [...lost.values()].reduce((a, b) => a + b, 0);
      if (total) log.warn({ target, lost: Object.fromEntries(lost) }, `${total} events were not written to ${toStdout ? "stdout" : target}`);
    },
  };
}
