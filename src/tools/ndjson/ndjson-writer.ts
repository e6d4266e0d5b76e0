// Writes every event as one JSON line to a file or stdout. Honours the stream's backpressure: the
// handler waits for 'drain', so a slow disk or pipe fills this subscriber's bounded bus queue and
// the overflow is counted as dropped instead of growing memory.
// Lines are batched: one write per BATCH_BYTES, or FLUSH_MS after the first line of a batch,
// instead of one per event (a stream write costs more than encoding the line; a write per turn
// of the event loop was one per pipe read of bpftrace's output: see `npm run bench -- pipeline`).
// Nothing is lost silently: an event that cannot be encoded, the events of a write that fails
// (disk full) and every event after the output failed are counted and reported as
// `events.dropped` (source "ndjson", by reason), summed once a second.
import fs from "node:fs";
import type { EventBus, Subscription } from "../../bus/index.js";
import { DROP_REASONS, encodeEvent, makeEvent, type PeerwatchEvent } from "../../events/index.js";
import type { Logger } from "../../logger.js";

/** Bytes of lines gathered before a write: bounds this writer's own buffer. */
const BATCH_BYTES = 64 * 1024;

/** Longest a line waits in a batch before it is written (a reader following the file sees it this late at most). */
const FLUSH_MS = 50;

/** How often lost events are summed into one `events.dropped` per reason. */
const REPORT_MS = 1000;

export class NdjsonError extends Error {
  override name = "NdjsonError";
}

export interface NdjsonWriter {
  subscription: Subscription;
  /** Events lost so far, by reason. */
  readonly lost: ReadonlyMap<string, number>;
  /** Resolves once every line written so far has reached the file (durable readers ack after it). */
  flushed(): Promise<void>;
  close(): Promise<void>;
}

/** Bytes a file stream holds before it asks us to wait: several batches, so a write in flight does not stall the next. */
const FILE_BUFFER_BYTES = 1024 * 1024;

/** Opens the file target; the CLI passes the recording's opener (gzip, rotation: tools/record). */
export type OpenTarget = (file: string) => NodeJS.WritableStream;
const appendTo: OpenTarget = (file) => fs.createWriteStream(file, { flags: "a", highWaterMark: FILE_BUFFER_BYTES });

/** The usual reasons an events file cannot be opened, in words. */
const CANNOT_OPEN_WORDS: Record<string, string> = {
  EACCES: "permission denied: read-only for this user",
  EPERM: "permission denied",
  EROFS: "read-only file system",
  EISDIR: "a directory",
  ENOENT: "no such folder",
  ENOTDIR: "a part of the path is not a folder",
  ENOSPC: "no space left on the device",
};

/** A clear error now, not a failing stream later, when the events file cannot be opened for writing. */
function checkTarget(target: string): void {
  try {
    const st = fs.statSync(target, { throwIfNoEntry: false });
    if (st?.isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
    fs.closeSync(fs.openSync(target, "a"));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new NdjsonError(`cannot write events to ${target}: ${code}${CANNOT_OPEN_WORDS[code] ? ` (${CANNOT_OPEN_WORDS[code]})` : ""}`, { cause: e });
  }
}

const outputFailed = (err: NodeJS.ErrnoException): string => `${DROP_REASONS.outputFailed}: ${err.code ?? err.message}`.slice(0, 200);

export function startNdjsonWriter(bus: EventBus, target: string, log: Logger, open: OpenTarget = appendTo): NdjsonWriter {
  const toStdout = target === "-";
  if (!toStdout) checkTarget(target);
  const stream: NodeJS.WritableStream = toStdout ? process.stdout : open(target);
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
  const reportTimer = setInterval(report, REPORT_MS);
  reportTimer.unref();

  /** The first error ends the output (from the stream or a write's callback, whichever comes first). */
  const fail = (err: NodeJS.ErrnoException): string => {
    if (failure) return failure;
    failure = outputFailed(err);
    // EPIPE: the reader went away (e.g. `| head`): stop writing, keep observing, count what is lost.
    log.warn({ target, code: err.code }, `event output stopped: ${err.message}; every further event is counted as dropped`);
    return failure;
  };
  stream.on("error", fail);
  let batch = "";
  let batchEvents = 0;
  let flushQueued = false;
  /** Writes the gathered lines; true when the stream wants us to wait for 'drain'. */
  const flush = (): boolean => {
    if (batch === "") return false;
    const chunk = batch;
    const events = batchEvents;
    batch = "";
    batchEvents = 0;
    if (failure) {
      count(failure, events);
      return false;
    }
    // A write that fails loses all its events: counted by the callback, with the stream's error.
    return !stream.write(chunk, (err?: Error | null) => {
      if (err) count(fail(err), events);
    });
  };
  // One listener pair per wait, both removed when either fires (no listener piles up per wait).
  const waitDrain = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        stream.off("drain", done);
        stream.off("error", done);
        resolve();
      };
      stream.on("drain", done);
      stream.on("error", done);
    });
  const flushLater = () => {
    flushQueued = false;
    flush();
  };
  /** Adds one event's line to the batch; true when the stream asked us to wait for 'drain'. */
  const add = (e: PeerwatchEvent): boolean => {
    node = e.node;
    if (failure) {
      // Our own loss reports cannot be written either: counting them would feed on itself.
      if (!(e.type === "events.dropped" && e.data.source === "ndjson")) count(failure);
      return false;
    }
    let line: string;
    try {
      line = encodeEvent(e) + "\n";
    } catch {
      count(`${DROP_REASONS.unencodable} (${e.type})`.slice(0, 200));
      return false;
    }
    batch += line;
    batchEvents++;
    if (batch.length >= BATCH_BYTES) return flush();
    if (!flushQueued) {
      flushQueued = true;
      setTimeout(flushLater, FLUSH_MS).unref();
    }
    return false;
  };
  // A bus batch is written through in one go (the stream buffers a full batch beyond its mark:
  // at most one trace batch more); then, if the stream asked for it, we wait for 'drain'.
  const subscription = bus.subscribeBatches({ name: "ndjson", maxQueue: 50_000 }, (events) => {
    let wait = false;
    for (let i = 0; i < events.length; i++) if (add(events[i]!)) wait = true;
    if (wait) return waitDrain();
  });
  return {
    subscription,
    lost,
    flushed() {
      if (failure) return Promise.resolve();
      flush(); // the lines still gathered in this batch first
      return new Promise<void>((resolve) => stream.write("", () => resolve()));
    },
    async close() {
      subscription.unsubscribe();
      clearInterval(reportTimer);
      flush();
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
