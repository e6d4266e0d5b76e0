// Writes every event as one JSON line to a file or stdout. Honours the stream's backpressure: the
// handler waits for 'drain', so a slow disk or pipe fills this subscriber's bounded bus queue and
// the overflow is counted as dropped instead of growing memory.
// Lines are batched: one write per BATCH_BYTES or per turn of the event loop instead of one per
// event (a stream write costs more than encoding the line; see `npm run bench -- pipeline`).
import fs from "node:fs";
import type { EventBus, Subscription } from "../../bus/index.js";
import { encodeEvent, type PeerwatchEvent } from "../../events/index.js";
import type { Logger } from "../../logger.js";

/** Bytes of lines gathered before a write: bounds this writer's own buffer. */
const BATCH_BYTES = 64 * 1024;

export interface NdjsonWriter {
  subscription: Subscription;
  /** Resolves once every line written so far has reached the file (durable readers ack after it). */
  flushed(): Promise<void>;
  close(): Promise<void>;
}

/** Bytes a file stream holds before it asks us to wait: several batches, so a write in flight does not stall the next. */
const FILE_BUFFER_BYTES = 1024 * 1024;

/** Opens the file target; the CLI passes the recording's opener (gzip, rotation: tools/record). */
export type OpenTarget = (file: string) => NodeJS.WritableStream;
const appendTo: OpenTarget = (file) => fs.createWriteStream(file, { flags: "a", highWaterMark: FILE_BUFFER_BYTES });

export function startNdjsonWriter(bus: EventBus, target: string, log: Logger, open: OpenTarget = appendTo): NdjsonWriter {
  const toStdout = target === "-";
  const stream: NodeJS.WritableStream = toStdout ? process.stdout : open(target);
  let failed = false;
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (failed) return;
    failed = true;
    // EPIPE: the reader went away (e.g. `| head`): stop writing, keep observing.
    log.warn({ target, code: err.code }, `event output stopped: ${err.message}`);
  });
  let batch = "";
  let flushQueued = false;
  /** Writes the gathered lines; true when the stream wants us to wait for 'drain'. */
  const flush = (): boolean => {
    if (batch === "" || failed) return false;
    const chunk = batch;
    batch = "";
    return !stream.write(chunk);
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
  const subscription = bus.subscribe({ name: "ndjson", maxQueue: 50_000 }, (e: PeerwatchEvent) => {
    if (failed) return;
    batch += encodeEvent(e) + "\n";
    if (batch.length >= BATCH_BYTES) {
      if (flush()) return waitDrain();
    } else if (!flushQueued) {
      flushQueued = true;
      setImmediate(flushLater);
    }
  });
  return {
    subscription,
    flushed() {
      if (failed) return Promise.resolve();
      flush(); // the lines still gathered in this batch first
      return new Promise<void>((resolve) => stream.write("", () => resolve()));
    },
    async close() {
      subscription.unsubscribe();
      flush();
      if (toStdout || failed) return;
      const ws = stream as fs.WriteStream;
      await new Promise<void>((resolve) => ws.end(resolve));
    },
  };
}
