// The output both event writers write through (NDJSON lines, src/tools/ndjson; binary records,
// src/tools/record): each writer only encodes, and gathers what it encoded until the sink takes it.
// Opening: a clear error at start, not a failing stream later, when the target cannot be written.
// Writing: one write per BATCH_BYTES, or FLUSH_MS after the first event of a batch, instead of one
// per event (a stream write costs more than encoding the event; see `npm run bench -- pipeline`).
// Backpressure: the writer waits for 'drain', so a slow disk or pipe fills its bounded bus queue
// and the overflow is counted there as dropped instead of growing memory.
// Nothing is lost silently: an event that cannot be encoded, the events of a write that fails
// (disk full) and every event after the output failed are counted and reported as
// `events.dropped` (the writer's source, by reason), summed once a second.
import fs from "node:fs";
import { DROP_REASONS, type PeerwatchEvent } from "../events/index.js";
import type { Logger } from "../logger.js";
import { DropReports } from "./drop-reports.js";
import { stopOnAbort, type RunningTool } from "./tool.js";
import type { EventBus, Subscription } from "./types.js";

/** Bytes gathered before a write: bounds the writer's own buffer. */
const BATCH_BYTES = 64 * 1024;

/** Longest an event waits in a batch before it is written (a reader following the file sees it this late at most). */
const FLUSH_MS = 50;

/** How often lost events are summed into one `events.dropped` per reason. */
const REPORT_MS = 1000;

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

export class EventSinkError extends Error {
  override name = "EventSinkError";
}

function checkTarget(target: string): void {
  try {
    const st = fs.statSync(target, { throwIfNoEntry: false });
    if (st?.isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
    fs.closeSync(fs.openSync(target, "a"));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new EventSinkError(`cannot write events to ${target}: ${code}${CANNOT_OPEN_WORDS[code] ? ` (${CANNOT_OPEN_WORDS[code]})` : ""}`, { cause: e });
  }
}

const outputFailed = (err: NodeJS.ErrnoException): string => `${DROP_REASONS.outputFailed}: ${err.code ?? err.message}`.slice(0, 200);

/** What a writer gathered since the last write: its encoded events in one chunk, and how many. */
export interface Gathered {
  chunk: string | Buffer;
  events: number;
}

export interface EventSinkOptions {
  /** The file (appended to), or "-" for stdout. */
  target: string;
  /** Opens the file; a plain append when absent. */
  open?: OpenTarget;
  /** The `source` of this output's `events.dropped` ("ndjson", "recording"). */
  source: string;
  /** Stamped on the loss reports; when absent, the node of the latest events. */
  nodeName?: string;
  /** What the log says has stopped when the output fails ("event output"). */
  what: string;
  /** Hands over what the writer gathered and starts afresh; undefined when it holds nothing. */
  take: () => Gathered | undefined;
}

/** What a started writer gives its caller. */
export interface EventWriter {
  subscription: Subscription;
  /** Events lost so far, by reason. */
  readonly lost: ReadonlyMap<string, number>;
  /** Resolves once every event written so far has reached the file (durable readers ack after it). */
  flushed(): Promise<void>;
  close(): Promise<void>;
}

/** A writer as a tool (its `run`): what it lost and its flush, closed when the signal aborts. */
export interface RunningWriter extends RunningTool, Pick<EventWriter, "lost" | "flushed"> {}

export function runningWriter(writer: EventWriter, signal: AbortSignal): RunningWriter {
  return {
    get lost() {
      return writer.lost;
    },
    flushed: () => writer.flushed(),
    stopped: stopOnAbort(signal, () => writer.close()),
  };
}

export class EventSink {
  private readonly toStdout: boolean;
  private readonly stream: NodeJS.WritableStream;
  private readonly drops: DropReports;
  private readonly reportTimer: NodeJS.Timeout;
  private failure: string | undefined;
  private flushQueued = false;

  /** Throws EventSinkError when the target cannot be opened for writing. */
  constructor(
    bus: EventBus,
    private readonly o: EventSinkOptions,
    private readonly log: Logger,
  ) {
    this.toStdout = o.target === "-";
    if (!this.toStdout) checkTarget(o.target);
    this.stream = this.toStdout ? process.stdout : (o.open ?? appendTo)(o.target);
    this.drops = new DropReports(o.nodeName ?? "", (e) => bus.publish(e));
    this.reportTimer = setInterval(() => this.drops.report(), REPORT_MS);
    this.reportTimer.unref();
    this.stream.on("error", this.fail);
  }

  /** The first error ends the output (from the stream or a write's callback, whichever comes first). */
  private readonly fail = (err: NodeJS.ErrnoException): string => {
    if (this.failure) return this.failure;
    this.failure = outputFailed(err);
    // EPIPE: the reader went away (e.g. `| head`): stop writing, keep observing, count what is lost.
    this.log.warn({ target: this.o.target, code: err.code }, `${this.o.what} stopped: ${err.message}; every further event is counted as dropped`);
    return this.failure;
  };

  private lose(reason: string, n: number): void {
    this.drops.count(this.o.source, reason, n);
  }

  /** False once the output has failed: the batch is then counted as lost instead of encoded. */
  accepts(batch: readonly PeerwatchEvent[]): boolean {
    if (this.o.nodeName === undefined && batch.length > 0) this.drops.nodeName = batch[batch.length - 1]!.node;
    if (!this.failure) return true;
    // Our own loss reports cannot be written either: counting them would feed on itself.
    let n = 0;
    for (const e of batch) if (!(e.type === "events.dropped" && e.data.source === this.o.source)) n++;
    if (n > 0) this.lose(this.failure, n);
    return false;
  }

  /** Counts an event the writer could not encode. */
  unencodable(e: PeerwatchEvent): void {
    this.lose(`${DROP_REASONS.unencodable} (${e.type})`.slice(0, 200), 1);
  }

  /** The writer now holds `bytes`: written at BATCH_BYTES (true: the stream asks us to wait, see `drained`), else within FLUSH_MS. */
  gathered(bytes: number): boolean {
    if (bytes >= BATCH_BYTES) return this.flush();
    if (!this.flushQueued) {
      this.flushQueued = true;
      setTimeout(this.flushLater, FLUSH_MS).unref();
    }
    return false;
  }

  private readonly flushLater = (): void => {
    this.flushQueued = false;
    this.flush();
  };

  /** Writes what the writer gathered; true when the stream wants us to wait for 'drain'. */
  private flush(): boolean {
    const g = this.o.take();
    if (!g) return false;
    if (this.failure) {
      this.lose(this.failure, g.events);
      return false;
    }
    // A write that fails loses all its events: counted by the callback, with the stream's error.
    return !this.stream.write(g.chunk, (err?: Error | null) => {
      if (err) this.lose(this.fail(err), g.events);
    });
  }

  /** Resolves on 'drain' (or an error); one listener pair per wait, both removed when either fires. */
  drained(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        this.stream.off("drain", done);
        this.stream.off("error", done);
        resolve();
      };
      this.stream.on("drain", done);
      this.stream.on("error", done);
    });
  }

  /** The writer's handle on this sink; its close unsubscribes first, then writes what is left. */
  writer(subscription: Subscription): EventWriter {
    const lost = () => this.drops.lostBy(this.o.source);
    return {
      subscription,
      get lost() {
        return lost();
      },
      flushed: () => this.flushed(),
      close: async () => {
        subscription.unsubscribe();
        await this.close();
      },
    };
  }

  private flushed(): Promise<void> {
    if (this.failure) return Promise.resolve();
    this.flush(); // what is still gathered first
    return new Promise<void>((resolve) => this.stream.write("", () => resolve()));
  }

  private async close(): Promise<void> {
    clearInterval(this.reportTimer);
    this.flush();
    if (!this.toStdout && !this.failure) {
      await new Promise<void>((resolve) => {
        this.stream.once("error", () => resolve());
        this.stream.end(resolve);
      });
    }
    this.drops.report();
    const lost = this.drops.lostBy(this.o.source);
    const total = [...lost.values()].reduce((a, b) => a + b, 0);
    const where = this.toStdout ? "stdout" : this.o.target;
    if (total) this.log.warn({ target: this.o.target, lost: Object.fromEntries(lost) }, `${total} events were not written to ${where}`);
  }
}
