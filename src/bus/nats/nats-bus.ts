// The EventBus backed by NATS, for extractors and tools on different machines.
// Publishing: every event goes to `peerwatch.<node>.<type>` through a bounded buffer that also
// carries the events while the server is unreachable; a full buffer, an event over the server's
// max_payload or a failed publish is dropped and counted (`events.dropped`, source `nats:publish`).
// With a stream, events go to JetStream and are re-sent (same message id, so never stored twice)
// until the server acknowledges them.
// Subscribing: every message is decoded and validated; a foreign or malformed one is counted
// (`events.dropped`, source `nats:receive`) and skipped. Delivery to subscribers reuses the
// in-process bus (a bounded queue each). With a durable consumer, messages are acknowledged only
// once every subscriber has handled them, so a tools process that dies loses nothing.
import { jetstream, type JetStreamClient, type JsMsg } from "@nats-io/jetstream";
import { connect, nuid, type NatsConnection, type Subscription as NatsSubscription } from "@nats-io/transport-node";
import { formatDecodeError, makeEvent, type PeerwatchEvent } from "../../events/index.js";
import type { Logger } from "../../logger.js";
import { BoundedQueue } from "../bounded-queue.js";
import { MemoryBus } from "../memory-bus.js";
import { type BatchHandler, type BusStats, type EventBus, type EventHandler, type SubscribeOptions, type Subscription } from "../types.js";
import { decodeNatsEvent, encodeNatsEvent } from "./codec.js";
import { ensureDurableConsumer, ensureStream, MAX_ACK_PENDING, type StreamSettings } from "./jetstream.js";
import { connectionOptions, describeServers, type NatsConnectSettings } from "./options.js";
import { ALL_SUBJECTS, inboxPrefixFor, nodeToken, SUBJECT_ROOT, subjectFor, subjectsFor } from "./subjects.js";

/** The NATS connection or stream could not be set up: what, and the client's reason as cause. */
export class NatsBusError extends Error {
  override name = "NatsBusError";
}

export interface NatsBusOptions {
  /** Node name stamped on the bus's own `events.dropped` events. */
  nodeName: string;
  log: Logger;
  /** Shown in the server's monitoring, e.g. "peerwatch observe node1". */
  clientName?: string;
  /** Events held while the server is unreachable or slow. */
  maxBuffer?: number;
  /** Publish into (and, with `durable`, read from) this JetStream stream. */
  stream?: StreamSettings;
  /** Read through this durable consumer of `stream` instead of a plain subscription. */
  durable?: string;
  /** Nodes to read (absent: every node). */
  nodes?: readonly string[];
  /** Durable mode: resolves once what subscribers handed on has been processed; acks wait for it. */
  settled?: () => Promise<void>;
  /** Also given the bus's own drop reports (observe: the in-process bus, so local tools count them). */
  onReport?: (e: PeerwatchEvent) => void;
  dropReportIntervalMs?: number;
  defaultMaxQueue?: number;
}

export interface NatsCounters {
  connected: boolean;
  /** Events handed to the client (core) or acknowledged by JetStream. */
  sent: number;
  buffered: number;
  received: number;
  /** Drops by source and reason since start. */
  dropped: Record<string, number>;
}

interface Outgoing {
  event: PeerwatchEvent;
  /** JetStream message id: a re-sent event is stored once. */
  id: string;
}

/** Loss reports may exceed the buffer by this much (they must not be lost, but stay bounded). */
const REPORT_HEADROOM = 1000;
const JS_BATCH = 256;
const CORE_SLICE = 1000;
const ACK_BATCH = 256;
const ACK_FLUSH_MS = 100;
/** Malformed messages logged per report interval (all are counted). */
const LOGGED_REJECTS = 5;

export class NatsBus implements EventBus {
  /** Resolves on first connection; rejects when the client gives up (e.g. authentication refused). */
  readonly ready: Promise<void>;
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private readonly local: MemoryBus;
  private readonly buffer: BoundedQueue<Outgoing>;
  private retry: Outgoing[] = [];
  private connected = false;
  private closing = false;
  private closed = false;
  private pumping = false;
  private receiving = false;
  private published = 0;
  private sent = 0;
  private received = 0;
  private seq = 0;
  private readonly idBase = nuid.next();
  private readonly drops = new Map<string, { source: string; reason: string; count: number; reported: number }>();
  private rejectsLogged = 0;
  private readonly timer: NodeJS.Timeout;
  private subs: NatsSubscription[] = [];
  private consumerStop: (() => void) | undefined;
  private receiveDone: Promise<void> = Promise.resolve();
  private unacked: JsMsg[] = [];
  private acking: Promise<void> | undefined;
  private wakeConnect: (() => void) | undefined;

  constructor(
    private readonly settings: NatsConnectSettings,
    private readonly options: NatsBusOptions,
  ) {
    this.local = new MemoryBus({
      nodeName: options.nodeName,
      defaultMaxQueue: options.defaultMaxQueue,
      dropReportIntervalMs: options.dropReportIntervalMs,
      onHandlerError: (name, err) => options.log.error({ subscriber: name, err }, "a bus subscriber failed on an event"),
    });
    this.buffer = new BoundedQueue(options.maxBuffer ?? settings.natsBuffer);
    this.timer = setInterval(() => this.reportDrops(), options.dropReportIntervalMs ?? 1000);
    this.timer.unref();
    // Built before connecting so a missing secret file fails here, synchronously, with its name.
    const connOpts = { ...connectionOptions(settings, options.clientName ?? `peerwatch ${options.nodeName}`), inboxPrefix: inboxPrefixFor(options.nodeName) };
    this.ready = this.start(connOpts);
    this.ready.catch(() => {}); // callers await it; an unhandled rejection must not kill the process
  }

  private async start(connOpts: ReturnType<typeof connectionOptions>): Promise<void> {
    const { log } = this.options;
    const where = describeServers(this.settings.nats);
    log.info(`NATS: connecting to ${where}${this.options.stream ? ` (JetStream stream ${this.options.stream.name})` : ""}`);
    const nc = await this.connectFirst(connOpts, where);
    if (!nc) return; // closed before the server was reachable
    if (this.closing) {
      await nc.close();
      return;
    }
    this.nc = nc;
    void this.watchStatus(nc);
    if (this.options.stream && !this.options.durable && (await publishOnly(nc, this.options.stream.name, log))) {
      this.js = jetstream(nc);
    } else if (this.options.stream) {
      try {
        const jsm = await ensureStream(nc, this.options.stream, log);
        this.js = jetstream(nc);
        if (this.options.durable) {
          const filter = this.options.nodes?.length === 1 ? (subjectsFor(this.options.nodes)[0] as string) : ALL_SUBJECTS;
          await ensureDurableConsumer(jsm, this.options.stream.name, this.options.durable, filter, log);
        }
      } catch (e) {
        log.error(`NATS: JetStream stream ${this.options.stream.name}: ${(e as Error).message}`);
        await nc.close();
        throw new NatsBusError(`NATS JetStream stream ${this.options.stream.name}: ${(e as Error).message}`, { cause: e });
      }
    }
    this.connected = true;
    log.info(`NATS: connected to ${nc.getServer() ? describeServers([nc.getServer()]) : where} (max_payload ${nc.info?.max_payload ?? "?"} bytes)`);
    this.pump();
    this.startReceiving();
  }

  /**
   * First connection: retried while the server is unreachable (events buffer meanwhile), given up
   * at once when the server refuses the credentials or the TLS set-up, which waiting cannot fix.
   */
  private async connectFirst(connOpts: ReturnType<typeof connectionOptions>, where: string): Promise<NatsConnection | undefined> {
    const { log } = this.options;
    for (let attempt = 0; !this.closing; attempt++) {
      try {
        return await connect(connOpts);
      } catch (e) {
        const msg = (e as Error).message;
        if (/authori[sz]ation|authentication|permission|certificate|tls|ssl/i.test(`${(e as Error).name} ${msg}`)) {
          log.error(`NATS: cannot connect to ${where}: ${msg}`);
          throw new NatsBusError(`cannot connect to NATS at ${where}: ${msg}`, { cause: e });
        }
        if (attempt % 30 === 0) log.warn(`NATS: ${where} not reachable (${msg}); retrying every second, buffering up to ${this.buffer.capacity} events`);
        await new Promise<void>((r) => {
          this.wakeConnect = r;
          setTimeout(r, 1000).unref();
        });
      }
    }
    return undefined;
  }

  /** Status changes are logged (server addresses only, never credentials) and gate publishing. */
  private async watchStatus(nc: NatsConnection): Promise<void> {
    const { log } = this.options;
    for await (const s of nc.status()) {
      switch (s.type) {
        case "disconnect":
          this.connected = false;
          log.warn(`NATS: disconnected from ${describeServers([s.server])}; buffering up to ${this.buffer.capacity} events`);
          break;
        case "reconnect":
          this.connected = true;
          log.info(`NATS: reconnected to ${describeServers([s.server])}`);
          this.pump();
          break;
        case "error":
          log.warn(`NATS: server error: ${s.error.message}`);
          break;
        case "slowConsumer":
          log.warn(`NATS: slow consumer on ${s.sub.getSubject()}: ${s.pending} messages pending`);
          break;
        case "staleConnection":
          log.warn("NATS: connection stale (no pong), reconnecting");
          break;
        default:
          break;
      }
    }
  }

  publish(event: PeerwatchEvent): void {
    if (this.closing) return;
    this.published++;
    const force = event.type === "events.dropped" && this.buffer.length < this.buffer.capacity + REPORT_HEADROOM;
    if (!this.buffer.push({ event, id: `${this.idBase}.${++this.seq}` }, force)) {
      this.countDrop("nats:publish", `NATS unreachable or too slow, buffer full (${this.buffer.capacity} events)`);
      return;
    }
    if (!this.pumping && this.connected) {
      this.pumping = true;
      setImmediate(() => void this.drainBuffer());
    }
  }

  /** Events waiting to be sent (buffered or to be re-sent). */
  get buffered(): number {
    return this.buffer.length + this.retry.length;
  }

  /** Resolves once the buffer is at most half full: a publisher that must not lose events (replay) waits on it. */
  async whenRoom(): Promise<void> {
    while (!this.closing && this.buffered > this.buffer.capacity / 2) await new Promise((r) => setTimeout(r, 5));
  }

  private pump(): void {
    if (this.pumping || !this.connected) return;
    this.pumping = true;
    void this.drainBuffer();
  }

  private async drainBuffer(): Promise<void> {
    try {
      if (this.js) await this.drainToJetStream(this.js);
      else await this.drainToCore();
    } catch (e) {
      this.options.log.error({ err: e }, "NATS: publishing failed");
    } finally {
      this.pumping = false;
    }
    // Something may have arrived while the last batch was in flight.
    if (this.connected && !this.closed && (this.buffer.length > 0 || this.retry.length > 0)) this.pump();
  }

  private encode(item: Outgoing): Uint8Array | undefined {
    const bytes = encodeNatsEvent(item.event);
    const max = this.nc?.info?.max_payload ?? Infinity;
    if (bytes.byteLength > max) {
      this.countDrop("nats:publish", `event larger than the server's max_payload (${max} bytes)`);
      this.options.log.warn(`NATS: ${item.event.type} event of ${bytes.byteLength} bytes refused: the server's max_payload is ${max}`);
      return undefined;
    }
    return bytes;
  }

  private async drainToCore(): Promise<void> {
    const nc = this.nc as NatsConnection;
    let n = 0;
    while (this.connected) {
      const item = this.buffer.shift();
      if (!item) break;
      const bytes = this.encode(item);
      if (!bytes) continue;
      try {
        nc.publish(subjectFor(item.event), bytes);
        this.sent++;
      } catch (e) {
        this.countDrop("nats:publish", "publish failed");
        this.options.log.warn(`NATS: publish failed: ${(e as Error).message}`);
      }
      if (++n % CORE_SLICE === 0) await new Promise<void>((r) => setImmediate(r));
    }
  }

  private async drainToJetStream(js: JetStreamClient): Promise<void> {
    while (this.connected && !this.closed) {
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
        const hint = /no responders|503/i.test(`${why.name} ${why.message}`) ? ` (no stream ${this.options.stream?.name ?? ""} stores ${SUBJECT_ROOT}.>: start peerwatch tools --nats-stream, or create it as docs/deploy.md shows)` : "";
        this.options.log.warn(`NATS: JetStream did not store ${failed} events (${why.message})${hint}; retrying`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /** Each event is its own NATS message (subjects are per node and type): a batch is its events in order. */
  publishBatch(events: readonly PeerwatchEvent[]): void {
    for (let i = 0; i < events.length; i++) this.publish(events[i]!);
  }

  subscribe(options: SubscribeOptions, handler: EventHandler): Subscription {
    const sub = this.local.subscribe(options, handler);
    this.startReceiving();
    return sub;
  }

  subscribeBatches(options: SubscribeOptions, handler: BatchHandler): Subscription {
    const sub = this.local.subscribeBatches(options, handler);
    this.startReceiving();
    return sub;
  }

  /** Starts reading from NATS once connected and someone listens. */
  private startReceiving(): void {
    if (this.receiving || !this.nc || this.local.stats().subscribers.length === 0) return;
    this.receiving = true;
    const nc = this.nc;
    if (this.options.durable && this.js && this.options.stream) {
      this.receiveDone = this.consumeDurable(this.js, this.options.stream.name, this.options.durable);
      return;
    }
    const subjects = subjectsFor(this.options.nodes);
    for (const subject of subjects) {
      const callback = (err: Error | null, msg: { subject: string; data: Uint8Array }): void => {
        if (err) this.options.log.warn(`NATS: subscription ${subject}: ${err.message}`);
        else this.receive(msg.subject, msg.data);
      };
      this.subs.push(nc.subscribe(subject, { callback }));
    }
    // The server has the subscriptions once it answers a flush: only then say "reading" (a
    // publisher started on that line would otherwise race a SUB still on its way, and core NATS
    // delivers nothing published before it).
    nc.flush().then(
      () => this.options.log.info(`NATS: reading ${subjects.join(", ")}`),
      (e: Error) => this.options.log.warn(`NATS: subscribing to ${subjects.join(", ")} was not confirmed: ${e.message}`),
    );
  }

  /** Decodes one message and hands it to the subscribers; true when it was a valid event. */
  private receive(subject: string, data: Uint8Array): boolean {
    this.received++;
    const r = decodeNatsEvent(subject, data);
    if (!r.ok) {
      this.countDrop("nats:receive", "foreign or malformed message");
      if (this.rejectsLogged++ < LOGGED_REJECTS) this.options.log.warn(`NATS: skipped ${formatDecodeError(r.error).slice(0, 500)}`);
      return false;
    }
    this.local.publish(r.value);
    return true;
  }

  private async consumeDurable(js: JetStreamClient, stream: string, durable: string): Promise<void> {
    const { log } = this.options;
    const wanted = this.options.nodes && this.options.nodes.length > 1 ? new Set(this.options.nodes.map(nodeToken)) : undefined;
    const consumer = await js.consumers.get(stream, durable);
    const messages = await consumer.consume({ max_messages: 1000 });
    this.consumerStop = () => void messages.stop();
    log.info(`NATS: reading stream ${stream} through durable consumer ${durable}`);
    const flusher = setInterval(() => void this.flushAcks(), ACK_FLUSH_MS);
    try {
      for await (const m of messages) {
        if (this.closing) break;
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
      if (!this.closing) log.error(`NATS: durable consumer ${durable} stopped: ${(e as Error).message}`);
    } finally {
      clearInterval(flusher);
    }
  }

  /** Acks what subscribers have fully handled (waits for them), one batch at a time. */
  private flushAcks(): Promise<void> {
    if (this.acking) return this.acking;
    if (this.unacked.length === 0) return Promise.resolve();
    this.acking = (async () => {
      const batch = this.unacked.splice(0);
      await this.local.idle();
      await this.options.settled?.();
      for (const m of batch) m.ack();
    })().finally(() => (this.acking = undefined));
    return this.acking;
  }

  private countDrop(source: string, reason: string, n = 1): void {
    const key = `${source}|${reason}`;
    const d = this.drops.get(key);
    if (d) d.count += n;
    else this.drops.set(key, { source, reason, count: n, reported: 0 });
  }

  /** One `events.dropped` per (source, reason) that lost events since the last report. */
  private reportDrops(): void {
    this.rejectsLogged = 0;
    for (const d of this.drops.values()) {
      const count = d.count - d.reported;
      if (count <= 0) continue;
      d.reported = d.count;
      const e = makeEvent("peerwatch", this.options.nodeName, "events.dropped", { source: d.source, count, reason: d.reason });
      this.local.publish(e);
      this.options.onReport?.(e);
    }
  }

  counters(): NatsCounters {
    return {
      connected: this.connected,
      sent: this.sent,
      buffered: this.buffer.length + this.retry.length,
      received: this.received,
      dropped: Object.fromEntries([...this.drops.values()].map((d) => [`${d.source}: ${d.reason}`, d.count])),
    };
  }

  stats(): BusStats {
    return { ...this.local.stats(), published: this.published };
  }

  /** Sends what is buffered (up to `timeoutMs`), acks what was handled, reports last drops, closes. */
  async close(timeoutMs = 2000): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const end = Date.now() + timeoutMs;
    while (this.connected && (this.buffer.length > 0 || this.retry.length > 0 || this.pumping) && Date.now() < end) {
      this.pump();
      await new Promise((r) => setTimeout(r, 20));
    }
    this.wakeConnect?.();
    const unsent = this.buffer.length + this.retry.length;
    if (unsent > 0) this.countDrop("nats:publish", "unsent at shutdown", unsent);
    this.consumerStop?.();
    for (const s of this.subs) s.unsubscribe();
    this.reportDrops(); // last words, while subscribers still listen
    await this.local.close(Math.max(0, end - Date.now()));
    await this.flushAcks().catch(() => {});
    clearInterval(this.timer);
    this.closed = true;
    if (this.nc) {
      try {
        await this.nc.flush();
      } catch {
        // disconnected: nothing more to send
      }
      await this.nc.close();
    }
    // A first connection still under way ends on its own (start() sees `closing`); do not wait long for it.
    const left = Math.max(50, end - Date.now());
    await Promise.race([Promise.all([this.receiveDone.catch(() => {}), this.ready.catch(() => {})]), new Promise((r) => setTimeout(r, left).unref())]);
  }
}

/**
 * A publisher under least privilege (docs/deploy.md) may publish its own subjects and nothing of
 * JetStream's API: it cannot create, change, purge or delete the stream, so it does not try. It
 * asks once whether it may manage streams; refused, it publishes into the stream the operator or
 * `peerwatch tools` made (true). Allowed, the caller creates the stream if missing (false).
 */
async function publishOnly(nc: NatsConnection, stream: string, log: Logger): Promise<boolean> {
  try {
    await nc.request("$JS.API.INFO", undefined, { timeout: 5000 });
    return false;
  } catch (e) {
    if (!/permission/i.test(`${(e as Error).name} ${(e as Error).message}`)) return false; // let ensureStream say what is wrong
    log.info(`NATS: not allowed to manage JetStream (least privilege): publishing into stream ${stream}, which the operator or peerwatch tools creates`);
    return true;
  }
}
