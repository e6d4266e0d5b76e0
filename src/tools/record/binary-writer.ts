// Writes the binary recording (binary-format.ts) of every event: what `--events x.pwb` (or
// `x.pwb.gz`) runs instead of the NDJSON writer. The same contract as that writer: each bus batch
// becomes one record (no string per event), records are gathered and written at WRITE_BYTES or
// FLUSH_MS after the first, the file's backpressure is honoured (its bounded bus queue fills and
// the overflow is counted by the bus as `bus:recording`), and nothing is lost silently: an event
// that cannot be packed, the events of a failed write and every event after the output failed are
// reported as `events.dropped` (source "recording", by reason), summed once a second.
import fs from "node:fs";
import { stopOnAbort, type RunningTool, type ToolContext } from "../../bus/tool.js";
import type { EventBus, Subscription } from "../../bus/index.js";
import { DROP_REASONS, makeEvent } from "../../events/index.js";
import type { Logger } from "../../logger.js";
import { BinaryRecordingError, encodeHeader, RecordEncoder } from "./binary-format.js";
import { openEventFile } from "./event-file-stream.js";

/** Bytes of records gathered before a write. */
const WRITE_BYTES = 64 * 1024;
/** Longest a record waits before it is written. */
const FLUSH_MS = 50;
const REPORT_MS = 1000;

export interface BinaryRecordingOptions {
  /** The file (appended to; gzip when it ends in .gz). */
  events: string;
  /** Rotate at this many bytes (event-file-stream.ts). */
  eventsMaxBytes?: number;
  /** Said in each file's header. */
  nodeName: string;
}

export interface RunningBinaryRecording extends RunningTool {
  /** Events lost so far, by reason. */
  readonly lost: ReadonlyMap<string, number>;
  /** Resolves once every record written so far has reached the file. */
  flushed(): Promise<void>;
}

const outputFailed = (err: NodeJS.ErrnoException): string => `${DROP_REASONS.outputFailed}: ${err.code ?? err.message}`.slice(0, 200);

/** Starts the writer; rejects (BinaryRecordingError) when the file cannot be opened for writing. */
export async function run(o: BinaryRecordingOptions, { bus, signal, log }: ToolContext): Promise<RunningBinaryRecording> {
  const w = startBinaryWriter(bus, o, log);
  return { lost: w.lost, flushed: () => w.flushed(), stopped: stopOnAbort(signal, () => w.close()) };
}

export function startBinaryWriter(
  bus: EventBus,
  o: BinaryRecordingOptions,
  log: Logger,
): { subscription: Subscription; lost: ReadonlyMap<string, number>; flushed(): Promise<void>; close(): Promise<void> } {
  const target = o.events;
  try {
    if (fs.statSync(target, { throwIfNoEntry: false })?.isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
    fs.closeSync(fs.openSync(target, "a"));
  } catch (e) {
    throw new BinaryRecordingError(`cannot write events to ${target}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
  const stream = openEventFile(target, { maxBytes: o.eventsMaxBytes, header: encodeHeader(o.nodeName) });
  const encoder = new RecordEncoder();
  let failure: string | undefined;
  const lost = new Map<string, number>();
  const unreported = new Map<string, number>();
  const count = (reason: string, n = 1): void => {
    lost.set(reason, (lost.get(reason) ?? 0) + n);
    unreported.set(reason, (unreported.get(reason) ?? 0) + n);
  };
  const report = (): void => {
    for (const [reason, n] of unreported) bus.publish(makeEvent("peerwatch", o.nodeName, "events.dropped", { source: "recording", count: n, reason }));
    unreported.clear();
  };
  const reportTimer = setInterval(report, REPORT_MS);
  reportTimer.unref();
  const fail = (err: NodeJS.ErrnoException): string => {
    if (failure) return failure;
    failure = outputFailed(err);
    log.warn({ target, code: err.code }, `event recording stopped: ${err.message}; every further event is counted as dropped`);
    return failure;
  };
  stream.on("error", fail);

  let records: Buffer[] = [];
  let bytes = 0;
  let events = 0;
  let flushQueued = false;
  /** Writes the gathered records; true when the stream wants us to wait for 'drain'. */
  const flush = (): boolean => {
    if (records.length === 0) return false;
    const chunk = records.length === 1 ? records[0]! : Buffer.concat(records, bytes);
    const n = events;
    records = [];
    bytes = 0;
    events = 0;
    if (failure) {
      count(failure, n);
      return false;
    }
    return !stream.write(chunk, (err?: Error | null) => {
      if (err) count(fail(err), n);
    });
  };
  const flushLater = () => {
    flushQueued = false;
    flush();
  };
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
  const subscription = bus.subscribeBatches({ name: "recording", maxQueue: 50_000 }, (batch) => {
    if (failure) {
      // Our own loss reports cannot be written either: counting them would feed on itself.
      let n = 0;
      for (const e of batch) if (!(e.type === "events.dropped" && e.data.source === "recording")) n++;
      if (n > 0) count(failure, n);
      return;
    }
    const before = records.length;
    const failed = encoder.encode(batch, records);
    for (const e of failed) count(`${DROP_REASONS.unencodable} (${e.type})`.slice(0, 200));
    for (let i = before; i < records.length; i++) bytes += records[i]!.length;
    events += batch.length - failed.length;
    if (bytes >= WRITE_BYTES) {
      if (flush()) return waitDrain();
      return;
    }
    if (!flushQueued && records.length > 0) {
      flushQueued = true;
      setTimeout(flushLater, FLUSH_MS).unref();
    }
  });
  return {
    subscription,
    lost,
    flushed() {
      if (failure) return Promise.resolve();
      flush();
      return new Promise<void>((resolve) => stream.write(Buffer.alloc(0), () => resolve()));
    },
    async close() {
      subscription.unsubscribe();
      clearInterval(reportTimer);
      flush();
      if (!failure) {
        await new Promise<void>((resolve) => {
          stream.once("error", () => resolve());
          stream.end(resolve);
        });
      }
      report();
      const total = [...lost.values()].reduce((a, b) => a + b, 0);
      if (total) log.warn({ target, lost: Object.fromEntries(lost) }, `${total} events were not written to ${target}`);
    },
  };
}
