// Reading from NATS: every message is decoded and validated; a foreign or malformed one is counted
// (`events.dropped`, source `nats:receive`) and skipped. Delivery to subscribers reuses the
// in-process bus (a bounded queue each). With a durable consumer, messages are acknowledged only
// once every subscriber has handled them, so a tools process that dies loses nothing.
import type { JetStreamClient, JsMsg } from "@nats-io/jetstream";
import type { NatsConnection, Subscription as NatsSubscription } from "@nats-io/transport-node";
import { formatDecodeError } from "../../events/index.js";
import type { Logger } from "../../logger.js";
import type { MemoryBus } from "../memory-bus.js";
import { decodeNatsEvent } from "./codec.js";
import type { DropReports } from "../drop-reports.js";
import { MAX_ACK_PENDING } from "./jetstream.js";
import { nodeToken, SUBJECT_ROOT, subjectsFor } from "./subjects.js";

const ACK_BATCH = 256;
const ACK_FLUSH_MS = 100;
/** Malformed messages logged per report interval (all are counted). */
const LOGGED_REJECTS = 5;

export interface NatsSubscriberOptions {
  log: Logger;
  /** Nodes to read (absent: every node). */
  nodes?: readonly string[];
  /** Read through this durable consumer of this stream instead of plain subscriptions. */
  durable?: { stream: string; name: string };
  /** Durable mode: resolves once what subscribers handed on has been processed; acks wait for it. */
  settled?: () => Promise<void>;
  drops: DropReports;
  /** Aborted when the bus closes: the durable consumer stops taking messages. */
  closing: AbortSignal;
}

export class NatsSubscriber {
  /** Messages taken from NATS (valid or not). */
  received = 0;
  /** Ends when the durable consumer has stopped. */
  done: Promise<void> = Promise.resolve();
  private reading = false;
  private rejectsLogged = 0;
  private subs: NatsSubscription[] = [];
  private consumerStop: (() => void) | undefined;
  private unacked: JsMsg[] = [];
  private acking: Promise<void> | undefined;

  /** Valid events go onto `local`, whose queues deliver them to the subscribers. */
  constructor(
    private readonly local: MemoryBus,
    private readonly o: NatsSubscriberOptions,
  ) {}

  /** Starts reading (once): through the durable consumer when there is one and JetStream is set up, else core subscriptions. */
  start(nc: NatsConnection, js: JetStreamClient | undefined): void {
    if (this.reading) return;
    this.reading = true;
    if (this.o.durable && js) {
      this.done = this.consumeDurable(js, this.o.durable.stream, this.o.durable.name);
      return;
    }
    const subjects = subjectsFor(this.o.nodes);
    for (const subject of subjects) {
      const callback = (err: Error | null, msg: { subject: string; data: Uint8Array }): void => {
        if (err) this.o.log.warn(`NATS: subscription ${subject}: ${err.message}`);
        else this.receive(msg.subject, msg.data);
      };
      this.subs.push(nc.subscribe(subject, { callback }));
    }
    // The server has the subscriptions once it answers a flush: only then say "reading" (a
    // publisher started on that line would otherwise race a SUB still on its way, and core NATS
    // delivers nothing published before it).
    nc.flush().then(
      () => this.o.log.info(`NATS: reading ${subjects.join(", ")}`),
      (e: Error) => this.o.log.warn(`NATS: subscribing to ${subjects.join(", ")} was not confirmed: ${e.message}`),
    );
  }

  /** A new report interval: malformed messages are logged again (up to the limit). */
  newInterval(): void {
    this.rejectsLogged = 0;
  }

  /** Stops taking messages: the durable consumer and the core subscriptions end. */
  stop(): void {
    this.consumerStop?.();
    for (const s of this.subs) s.unsubscribe();
  }

  /** Decodes one message and hands it to the subscribers; true when it was a valid event. */
  private receive(subject: string, data: Uint8Array): boolean {
    this.received++;
    const r = decodeNatsEvent(subject, data);
    if (!r.ok) {
      this.o.drops.count("nats:receive", "foreign or malformed message");
      if (this.rejectsLogged++ < LOGGED_REJECTS) this.o.log.warn(`NATS: skipped ${formatDecodeError(r.error).slice(0, 500)}`);
      return false;
    }
    this.local.publish(r.value);
    return true;
  }

  private async consumeDurable(js: JetStreamClient, stream: string, durable: string): Promise<void> {
    const { log, nodes, closing } = this.o;
    const wanted = nodes && nodes.length > 1 ? new Set(nodes.map(nodeToken)) : undefined;
    const consumer = await js.consumers.get(stream, durable);
    const messages = await consumer.consume({ max_messages: 1000 });
    this.consumerStop = () => void messages.stop();
    log.info(`NATS: reading stream ${stream} through durable consumer ${durable}`);
    const flusher = setInterval(() => void this.flushAcks(), ACK_FLUSH_MS);
    try {
      for await (const m of messages) {
        if (closing.aborted) break;
        const token = m.subject.split(".")[1] ?? "";
        if (wanted && (!m.subject.startsWith(`${SUBJECT_ROOT}.`) || !wanted.has(token))) {
          m.ack(); // another node's event: not ours to read
          continue;
        }
        if (!this.receive(m.subject, m.data)) {
          m.term(); // will never decode: do not have it redelivered
          continue;
        }
        this.unacked.push(m);
        if (this.unacked.length >= ACK_BATCH || this.unacked.length >= MAX_ACK_PENDING / 2) await this.flushAcks();
      }
    } catch (e) {
      if (!closing.aborted) log.error(`NATS: durable consumer ${durable} stopped: ${(e as Error).message}`);
    } finally {
      clearInterval(flusher);
    }
  }

  /** Acks what subscribers have fully handled (waits for them), one batch at a time. */
  flushAcks(): Promise<void> {
    if (this.acking) return this.acking;
    if (this.unacked.length === 0) return Promise.resolve();
    this.acking = (async () => {
      const batch = this.unacked.splice(0);
      await this.local.idle();
      await this.o.settled?.();
      for (const m of batch) m.ack();
    })().finally(() => (this.acking = undefined));
    return this.acking;
  }
}
