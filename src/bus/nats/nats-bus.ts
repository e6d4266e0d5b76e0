// The EventBus backed by NATS, for sources and tools on different machines. This class only
// wires the parts, each with one job:
//   connection.ts  the first connection (retried, or given up on a refusal) and status changes
//   jetstream.ts   may this client manage streams; the stream and the durable consumer
//   publisher.ts   events out: bounded buffer, core publish or JetStream re-sent until acked
//   subscriber.ts  events in: decoded and validated onto the in-process bus; durable acks
//   ../drop-reports.ts  what is lost, counted and reported as `events.dropped` (the event writers count theirs there too)
//   errors.ts      the client's errors, classified once
// Delivery to subscribers reuses the in-process bus (a bounded queue each).
import { jetstream, type JetStreamClient } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { PeerwatchEvent } from "../../events/index.js";
import type { Logger } from "../../logger.js";
import { MemoryBus } from "../memory-bus.js";
import type { BatchHandler, BusStats, EventBus, EventHandler, SubscribeOptions, Subscription } from "../types.js";
import { connectFirst, watchStatus } from "./connection.js";
import { DropReports } from "../drop-reports.js";
import { NatsBusError } from "./errors.js";
import { ensureDurableConsumer, ensureStream, publishOnly, type StreamSettings } from "./jetstream.js";
import { connectionOptions, describeServers, type NatsConnectSettings } from "./options.js";
import { NatsPublisher } from "./publisher.js";
import { NatsSubscriber } from "./subscriber.js";
import { ALL_SUBJECTS, inboxPrefixFor, subjectsFor } from "./subjects.js";

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

export class NatsBus implements EventBus {
  /** Resolves on first connection; rejects when the client gives up (e.g. authentication refused). */
  readonly ready: Promise<void>;
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private readonly local: MemoryBus;
  private readonly drops: DropReports;
  private readonly publisher: NatsPublisher;
  private readonly subscriber: NatsSubscriber;
  private readonly closing = new AbortController();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly settings: NatsConnectSettings,
    private readonly options: NatsBusOptions,
  ) {
    const { log } = options;
    const closing = this.closing.signal;
    this.local = new MemoryBus({
      nodeName: options.nodeName,
      defaultMaxQueue: options.defaultMaxQueue,
      dropReportIntervalMs: options.dropReportIntervalMs,
      onHandlerError: (name, err) => log.error({ subscriber: name, err }, "a bus subscriber failed on an event"),
    });
    this.drops = new DropReports(options.nodeName, (e) => {
      this.local.publish(e);
      options.onReport?.(e);
    });
    this.publisher = new NatsPublisher({
      log,
      capacity: options.maxBuffer ?? settings.natsBuffer,
      streamName: options.stream?.name,
      drops: this.drops,
      closing,
    });
    const durable = options.durable && options.stream ? { stream: options.stream.name, name: options.durable } : undefined;
    this.subscriber = new NatsSubscriber(this.local, { log, nodes: options.nodes, durable, settled: options.settled, drops: this.drops, closing });
    this.timer = setInterval(() => this.reportDrops(), options.dropReportIntervalMs ?? 1000);
    this.timer.unref();
    // Built before connecting so a missing secret file fails here, synchronously, with its name.
    const connOpts = { ...connectionOptions(settings, options.clientName ?? `peerwatch ${options.nodeName}`), inboxPrefix: inboxPrefixFor(options.nodeName) };
    this.ready = this.start(connOpts);
    this.ready.catch(() => {}); // callers await it; an unhandled rejection must not kill the process
  }

  private async start(connOpts: ReturnType<typeof connectionOptions>): Promise<void> {
    const { log, stream, durable } = this.options;
    const closing = this.closing.signal;
    const where = describeServers(this.settings.nats);
    log.info(`NATS: connecting to ${where}${stream ? ` (JetStream stream ${stream.name})` : ""}`);
    const nc = await connectFirst(connOpts, { where, log, closing, buffering: this.publisher.capacity });
    if (!nc) return; // closed before the server was reachable
    if (closing.aborted) {
      await nc.close();
      return;
    }
    this.nc = nc;
    void watchStatus(nc, log, {
      buffering: this.publisher.capacity,
      disconnected: () => this.publisher.setConnected(false),
      reconnected: () => this.publisher.setConnected(true),
    });
    if (stream && !durable && (await publishOnly(nc, stream.name, log))) {
      this.js = jetstream(nc);
    } else if (stream) {
      try {
        const jsm = await ensureStream(nc, stream, log);
        this.js = jetstream(nc);
        if (durable) {
          const filter = this.options.nodes?.length === 1 ? (subjectsFor(this.options.nodes)[0] as string) : ALL_SUBJECTS;
          await ensureDurableConsumer(jsm, stream.name, durable, filter, log);
        }
      } catch (e) {
        log.error(`NATS: JetStream stream ${stream.name}: ${(e as Error).message}`);
        await nc.close();
        throw new NatsBusError(`NATS JetStream stream ${stream.name}: ${(e as Error).message}`, { cause: e });
      }
    }
    log.info(`NATS: connected to ${nc.getServer() ? describeServers([nc.getServer()]) : where} (max_payload ${nc.info?.max_payload ?? "?"} bytes)`);
    this.publisher.attach(nc, this.js);
    this.startReceiving();
  }

  publish(event: PeerwatchEvent): void {
    this.publisher.publish(event);
  }

  /** Each event is its own NATS message (subjects are per node and type): a batch is its events in order. */
  publishBatch(events: readonly PeerwatchEvent[]): void {
    for (let i = 0; i < events.length; i++) this.publisher.publish(events[i]!);
  }

  /** Events waiting to be sent (buffered or to be re-sent). */
  get buffered(): number {
    return this.publisher.buffered;
  }

  /** Resolves once the buffer is at most half full: a publisher that must not lose events (replay) waits on it. */
  whenRoom(): Promise<void> {
    return this.publisher.whenRoom();
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
    if (!this.nc || this.local.stats().subscribers.length === 0) return;
    this.subscriber.start(this.nc, this.js);
  }

  private reportDrops(): void {
    this.subscriber.newInterval();
    this.drops.report();
  }

  counters(): NatsCounters {
    return {
      connected: this.publisher.connected,
      sent: this.publisher.sent,
      buffered: this.publisher.buffered,
      received: this.subscriber.received,
      dropped: this.drops.totals(),
    };
  }

  stats(): BusStats {
    return { ...this.local.stats(), published: this.publisher.published };
  }

  /** Sends what is buffered (up to `timeoutMs`), acks what was handled, reports last drops, closes. */
  async close(timeoutMs = 2000): Promise<void> {
    if (this.closing.signal.aborted) return;
    this.closing.abort();
    const end = Date.now() + timeoutMs;
    await this.publisher.flush(end);
    this.subscriber.stop();
    this.reportDrops(); // last words, while subscribers still listen
    await this.local.close(Math.max(0, end - Date.now()));
    await this.subscriber.flushAcks().catch(() => {});
    clearInterval(this.timer);
    this.publisher.stop();
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
    await Promise.race([Promise.all([this.subscriber.done.catch(() => {}), this.ready.catch(() => {})]), new Promise((r) => setTimeout(r, left).unref())]);
  }
}
