// Plays recordings into the bus. Speed 1 (or 10) keeps the recorded gaps between events (or a tenth
// of them); "max" goes as fast as the tools take events, the events of each chunk of lines read
// published as one batch. At every speed the player waits for room in the subscribers' queues
// before publishing, so a replay never loses an event: the tools see exactly what the live run
// saw, and their counters come out the same. (What the tools themselves publish meanwhile, alerts,
// can still find a queue full: replay's bus is lossless for that, see MemoryBusOptions.lossless.)
import { setTimeout as sleep } from "node:timers/promises";
import { decodeEventLine, formatDecodeError, makeEvent, type PeerwatchEvent } from "../../events/index.js";
import { openRecording, type LineSource } from "./line-reader.js";

export type ReplaySpeed = number | "max";

/** What the player needs of a bus: publish, and a way to wait for room (MemoryBus has both). */
export interface ReplayBus {
  publish(e: PeerwatchEvent): void;
  publishBatch(events: readonly PeerwatchEvent[]): void;
  hasRoom(): boolean;
  /** Events every subscriber's queue can take now. */
  room(): number;
  whenWritable(): Promise<void>;
}

export interface BadLine {
  file: string;
  /** The line (NDJSON), or the record's number (binary recording). */
  lineNo: number;
  /** Binary recordings: the record's byte offset in the (decompressed) file. */
  offset?: number;
  reason: string;
}

export interface ReplayOptions {
  files: string[];
  /** Node name on the replay's own `source.status` (the recorded events keep theirs). */
  nodeName: string;
  /** Said in the replay's `source.status`, e.g. "demo". */
  label?: string;
  speed: ReplaySpeed;
  loop?: boolean;
  signal?: AbortSignal;
  /** Called once for each bad line (first pass only) and for a truncated file. */
  onBadLine?: (bad: BadLine) => void;
  /** Called when a pass over all files ends (1-based pass number). */
  onPassEnd?: (pass: number) => void;
}

export interface ReplayProgress {
  pass: number;
  /** Events published in this pass. */
  events: number;
  /** Fraction of this pass's bytes read, 0..1. */
  fraction: number;
  /** Seconds since this pass began. */
  passSeconds: number;
}

export interface ReplaySummary {
  passes: number;
  /** Events published (all passes). */
  events: number;
  /** Bad lines of the first pass (and truncated files), each also given to onBadLine. */
  badLines: number;
  /** Alerts in the recording not replayed: the alert tool raises them again from the events. */
  rederivedAlerts: number;
  truncatedFiles: string[];
  aborted: boolean;
}

/** An alert peerwatch raised in the live run: replaying it would count it twice. */
function isDerived(e: PeerwatchEvent): boolean {
  return e.type === "alert" && e.source === "peerwatch";
}

export class RecordingPlayer {
  private events = 0;
  private passEvents = 0;
  private pass = 0;
  private passStart = performance.now();
  private sources: LineSource[] = [];

  constructor(
    private readonly bus: ReplayBus,
    private readonly options: ReplayOptions,
  ) {}

  progress(): ReplayProgress {
    const size = this.options.files.length === 0 ? 0 : this.sources.reduce((n, s) => n + s.size, 0);
    const read = this.sources.reduce((n, s) => n + s.bytesRead, 0);
    return {
      pass: this.pass,
      events: this.passEvents,
      fraction: size > 0 ? Math.min(1, read / size) : 0,
      passSeconds: (performance.now() - this.passStart) / 1000,
    };
  }

  async play(): Promise<ReplaySummary> {
    const { speed, signal } = this.options;
    const summary: ReplaySummary = { passes: 0, events: 0, badLines: 0, rederivedAlerts: 0, truncatedFiles: [], aborted: false };
    // Later passes of a loop move time forward by the recording's span, so windows and repeat
    // intervals of the alert heuristics see time advancing, as they would live.
    let offsetUs = 0;
    const names = this.options.files.map((f) => f.split("/").pop()).join(", ");
    this.status(
      "up",
      `${this.options.label ? `${this.options.label}: ` : ""}replaying the recording ${names} at speed ${speed}${this.options.loop ? " in a loop" : ""}; ` +
        `these events are not from a live node`,
    );
    do {
      this.pass++;
      this.passStart = performance.now();
      this.passEvents = 0;
      this.sources = this.options.files.map((f) => openRecording(f));
      const first = this.pass === 1;
      let firstTs: number | undefined;
      let minTs = Infinity;
      let maxTs = -Infinity;
      for (const [i, file] of this.options.files.entries()) {
        for await (const batch of (this.sources[i] as LineSource).batches()) {
          if (signal?.aborted) {
            summary.aborted = true;
            return this.finish(summary);
          }
          const events: PeerwatchEvent[] = [];
          for (const line of batch) {
            let e: PeerwatchEvent;
            if (line.kind === "event") e = line.value;
            else if (line.kind === "line") {
              const r = decodeEventLine(line.text, "");
              if (!r.ok) {
                if (!first) continue;
                summary.badLines++;
                this.options.onBadLine?.({ file, lineNo: line.lineNo, reason: formatDecodeError({ ...r.error, where: r.error.where.replace(/^: /, "") }) });
                continue;
              }
              e = r.value;
            } else {
              if (!first) continue;
              summary.badLines++;
              if (line.kind === "truncated") summary.truncatedFiles.push(file);
              const reason = line.kind === "too-long" ? `line of ${line.bytes} bytes is longer than the limit` : line.reason;
              const offset = line.kind === "too-long" ? undefined : line.offset;
              this.options.onBadLine?.(offset === undefined ? { file, lineNo: line.lineNo, reason } : { file, lineNo: line.lineNo, offset, reason });
              continue;
            }
            if (isDerived(e)) {
              if (first) summary.rederivedAlerts++;
              continue;
            }
            if (e.ts < minTs) minTs = e.ts;
            if (e.ts > maxTs) maxTs = e.ts;
            firstTs ??= e.ts;
            events.push(offsetUs === 0 ? e : { ...e, ts: e.ts + offsetUs });
          }
          if (events.length === 0) continue;
          if (speed === "max") await this.deliverBatch(events);
          else for (const e of events) await this.deliverLater(e, firstTs! + offsetUs);
        }
      }
      summary.passes = this.pass;
      this.options.onPassEnd?.(this.pass);
      if (this.events === 0) break; // nothing to loop over
      offsetUs += maxTs - minTs + 1_000_000;
    } while (this.options.loop && !signal?.aborted);
    summary.aborted = signal?.aborted ?? false;
    return this.finish(summary);
  }

  /**
   * Plays events read from elsewhere (a JetStream range) once, with the same pacing, backpressure
   * and skipping of derived alerts as a recording; `what` names them in the source.status.
   */
  async playEvents(events: AsyncIterable<PeerwatchEvent>, what: string): Promise<ReplaySummary> {
    const { speed, signal } = this.options;
    const summary: ReplaySummary = { passes: 1, events: 0, badLines: 0, rederivedAlerts: 0, truncatedFiles: [], aborted: false };
    this.status("up", `${this.options.label ? `${this.options.label}: ` : ""}replaying ${what} at speed ${speed}; these events are not from a live node`);
    this.pass = 1;
    this.passStart = performance.now();
    let firstTs: number | undefined;
    for await (const e of events) {
      if (signal?.aborted) break;
      if (isDerived(e)) {
        summary.rederivedAlerts++;
        continue;
      }
      firstTs ??= e.ts;
      if (speed === "max" && this.bus.hasRoom()) this.publishPlayed(e);
      else await this.deliverLater(e, firstTs);
    }
    summary.aborted = signal?.aborted ?? false;
    return this.finish(summary);
  }

  /**
   * Speed max: publishes the events of a chunk as one batch, or in pieces as big as every queue
   * has room for (a queue smaller than the chunk), waiting for room between them.
   */
  private async deliverBatch(events: PeerwatchEvent[]): Promise<void> {
    for (let at = 0; at < events.length; ) {
      let room = this.bus.room();
      if (room === 0) {
        await this.bus.whenWritable();
        if (this.options.signal?.aborted) return;
        room = this.bus.room();
        if (room === 0) {
          await new Promise<void>((r) => setImmediate(r)); // a closing bus wakes at once: do not spin
          continue;
        }
      }
      const n = Math.min(room, events.length - at);
      this.bus.publishBatch(n === events.length ? events : events.slice(at, at + n));
      at += n;
      this.events += n;
      this.passEvents += n;
    }
  }

  /** Waits until the event is due (speed 1 or 10; `firstTs` is the pass's first event time) and the subscribers have room, then publishes it. */
  private async deliverLater(e: PeerwatchEvent, firstTs: number): Promise<void> {
    const { speed, signal } = this.options;
    if (speed !== "max") {
      const dueMs = (e.ts - firstTs) / 1000 / speed - (performance.now() - this.passStart);
      if (dueMs > 1) await sleep(dueMs, undefined, { signal }).catch(() => undefined);
      if (signal?.aborted) return; // the caller's loop sees it
    }
    if (!this.bus.hasRoom()) await this.bus.whenWritable();
    this.publishPlayed(e);
  }

  private publishPlayed(e: PeerwatchEvent): void {
    this.bus.publish(e);
    this.events++;
    this.passEvents++;
  }

  private status(state: "up" | "down", detail: string): void {
    this.bus.publish(makeEvent("replay", this.options.nodeName, "source.status", { source: "replay", state, detail }));
  }

  private async finish(summary: ReplaySummary): Promise<ReplaySummary> {
    // The last batch may have filled a queue to its bound: the closing status waits for room like any event.
    if (!this.bus.hasRoom()) await this.bus.whenWritable();
    this.status("down", "stopped");
    summary.events = this.events;
    summary.passes = Math.max(summary.passes, this.pass);
    return summary;
  }
}
