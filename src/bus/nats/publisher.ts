// Publishing to NATS: every event goes to `peerwatch.<node>.<type>` through a bounded buffer that
// also carries the events while the server is unreachable; a full buffer, an event over the
// server's max_payload or a failed publish is dropped and counted (`events.dropped`, source
// `nats:publish`). With a stream, events go to JetStream and are re-sent (same message id, so never
// stored twice) until the server acknowledges them.
import type { JetStreamClient } from "@nats-io/jetstream";
import { nuid, type NatsConnection } from "@nats-io/transport-node";
import type { PeerwatchEvent } from "../../events/index.js";
import type { Logger } from "../../logger.js";
import { BoundedQueue } from "../bounded-queue.js";
import { encodeNatsEvent } from "./codec.js";
import type { DropReports } from "../drop-reports.js";
import { natsErrorKind } from "./errors.js";
import { SUBJECT_ROOT, subjectFor } from "./subjects.js";

interface Outgoing {
  event: PeerwatchEvent;
  /** JetStream message id: a re-sent event is stored once. */
  id: string;
}

/** Loss reports may exceed the buffer by this much (they must not be lost, but stay bounded). */
const REPORT_HEADROOM = 1000;
const JS_BATCH = 256;
const CORE_SLICE = 1000;
const DROPS = "nats:publish";

export interface NatsPublisherOptions {
  log: Logger;
  /** Events held while the server is unreachable or slow. */
  capacity: number;
  /** The JetStream stream published into (named in the hint when nothing stores the events). */
  streamName?: string;
  drops: DropReports;
  /** Aborted when the bus closes: no more events are taken. */
  closing: AbortSignal;
}

export class NatsPublisher {
  /** Events handed to `publish` (dropped ones included). */
  published = 0;
  /** Events handed to the client (core) or acknowledged by JetStream. */
  sent = 0;
  private readonly buffer: BoundedQueue<Outgoing>;
  private retry: Outgoing[] = [];
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private online = false;
  private stopped = false;
  private pumping = false;
  private seq = 0;
  private readonly idBase = nuid.next();

  constructor(private readonly o: NatsPublisherOptions) {
    this.buffer = new BoundedQueue(o.capacity);
  }

  get capacity(): number {
    return this.buffer.capacity;
  }

  /** Connected and sending (false before the first connection and while reconnecting). */
  get connected(): boolean {
    return this.online;
  }

  /** Events waiting to be sent (buffered or to be re-sent). */
  get buffered(): number {
    return this.buffer.length + this.retry.length;
  }

  /** The connection is up (and JetStream set up, `js` when publishing into a stream): send what waits. */
  attach(nc: NatsConnection, js: JetStreamClient | undefined): void {
    this.nc = nc;
    this.js = js;
    this.setConnected(true);
  }

  /** The client lost the server (events buffer meanwhile) or found it again (they go out). */
  setConnected(up: boolean): void {
    this.online = up;
    if (up) this.pump();
  }

  publish(event: PeerwatchEvent): void {
    if (this.o.closing.aborted) return;
    this.published++;
    const force = event.type === "events.dropped" && this.buffer.length < this.buffer.capacity + REPORT_HEADROOM;
    if (!this.buffer.push({ event, id: `${this.idBase}.${++this.seq}` }, force)) {
      this.o.drops.count(DROPS, `NATS unreachable or too slow, buffer full (${this.buffer.capacity} events)`);
      return;
    }
    if (!this.pumping && this.online && this.nc) {
      this.pumping = true;
      setImmediate(() => void this.drainBuffer());
    }
  }

  /** Resolves once the buffer is at most half full: a publisher that must not lose events (replay) waits on it. */
  async whenRoom(): Promise<void> {
    while (!this.o.closing.aborted && this.buffered > this.buffer.capacity / 2) await new Promise((r) => setTimeout(r, 5));
  }

  /** Closing: sends what is buffered while connected, up to `end` (a Date.now() time); what is left is counted as lost. */
  async flush(end: number): Promise<void> {
    while (this.online && (this.buffered > 0 || this.pumping) && Date.now() < end) {
      this.pump();
      await new Promise((r) => setTimeout(r, 20));
    }
    const unsent = this.buffered;
    if (unsent > 0) this.o.drops.count(DROPS, "unsent at shutdown", unsent);
  }

  /** The connection is about to close: no further sending rounds. */
  stop(): void {
    this.stopped = true;
  }

  private pump(): void {
    if (this.pumping || !this.online || !this.nc) return;
    this.pumping = true;
    void this.drainBuffer();
  }

  private async drainBuffer(): Promise<void> {
    try {
      if (this.js) await this.drainToJetStream(this.js);
      else await this.drainToCore(this.nc as NatsConnection);
    } catch (e) {
      this.o.log.error({ err: e }, "NATS: publishing failed");
    } finally {
      this.pumping = false;
    }
    // Something may have arrived while the last batch was in flight.
    if (this.online && !this.stopped && this.buffered > 0) this.pump();
  }

  private encode(item: Outgoing): Uint8Array | undefined {
    const bytes = encodeNatsEvent(item.event);
    const max = this.nc?.info?.max_payload ?? Infinity;
    if (bytes.byteLength > max) {
      this.o.drops.count(DROPS, `event larger than the server's max_payload (${max} bytes)`);
      this.o.log.warn(`NATS: ${item.event.type} event of ${bytes.byteLength} bytes refused: the server's max_payload is ${max}`);
      return undefined;
    }
    return bytes;
  }

  private async drainToCore(nc: NatsConnection): Promise<void> {
    let n = 0;
    while (this.online) {
      const item = this.buffer.shift();
      if (!item) break;
      const bytes = this.encode(item);
      if (!bytes) continue;
      try {
        nc.publish(subjectFor(item.event), bytes);
        this.sent++;
      } catch (e) {
        this.o.drops.count(DROPS, "publish failed");
        this.o.log.warn(`NATS: publish failed: ${(e as Error).message}`);
      }
      if (++n % CORE_SLICE === 0) await new Promise<void>((r) => setImmediate(r));
    }
  }

  private async drainToJetStream(js: JetStreamClient): Promise<void> {
    while (this.online && !this.stopped) {
      const batch = this.retry.splice(0);
      while (batch.length < JS_BATCH) {
        const item = this.buffer.shift();
        if (!item) break;
        batch.push(item);
      }
      if (batch.length === 0) return;
      const results = await Promise.allSettled(
        batch.map((item) => {
          const bytes = this.encode(item);
          return bytes ? js.publish(subjectFor(item.event), bytes, { msgID: item.id, timeout: 5000 }) : Promise.resolve(undefined);
        }),
      );
      let failed = 0;
      results.forEach((r, i) => {
        if (r.status === "fulfilled") {
          if (r.value !== undefined) this.sent++;
          return;
        }
        failed++;
        this.retry.push(batch[i] as Outgoing);
      });
      if (failed > 0) {
        const why = (results.find((r) => r.status === "rejected") as PromiseRejectedResult).reason as Error;
        // No responders: no stream takes these subjects (a publisher without the right to create it).
        const hint =
          natsErrorKind(why) === "no-responders"
            ? ` (no stream ${this.o.streamName ?? ""} stores ${SUBJECT_ROOT}.>: start peerwatch tools --nats-stream, or create it as docs/deploy.md shows)`
            : "";
        this.o.log.warn(`NATS: JetStream did not store ${failed} events (${why.message})${hint}; retrying`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }
}
