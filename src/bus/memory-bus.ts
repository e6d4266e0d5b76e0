// The default bus: in-process, zero setup. Each subscriber gets its own bounded queue and is fed
// asynchronously (a handler's promise is awaited before the next event or batch), so a slow
// subscriber only fills its own queue; when that is full, new events for it are dropped and
// counted, one by one even when they came as a batch. Drops are reported as `events.dropped`
// events once per interval, not once per event.
// A published batch is one queue entry per subscriber (the same array when it takes every event
// of the batch), delivered whole to a batch handler or event by event to an event handler; single
// events queued back to back reach a batch handler gathered into one array.
import { DROP_REASONS, makeEvent, type PeerwatchEvent } from "../events/index.js";
import { EventQueue } from "./bounded-queue.js";
import { matchesPrefixes, type BatchHandler, type BusStats, type EventBus, type EventHandler, type SubscribeOptions, type Subscription } from "./types.js";

export const DEFAULT_MAX_QUEUE = 10_000;
/**
 * A subscriber takes at least this many events per turn of the event loop before yielding (and
 * gathers at most this many single events into one call of a batch handler). Per turn it takes
 * everything queued when the turn began: a producer that queued 20 trace batches in one turn of
 * reading (libuv reads a socket up to 32 times a turn) would outrun a subscriber taking a fixed slice.
 */
const SLICE = 256;

export interface MemoryBusOptions {
  /** Node name stamped on the bus's own `events.dropped` events. */
  nodeName: string;
  defaultMaxQueue?: number;
  /** How often drops are summarised into `events.dropped` (ms). */
  dropReportIntervalMs?: number;
  /** Called when a handler throws or rejects; the event counts as delivered. */
  onHandlerError?: (subscriber: string, error: unknown) => void;
  /**
   * Never drop: a full queue takes the event anyway. Only for a bus whose producer waits for room
   * itself (replay: the player awaits whenWritable before each batch), where the only events that
   * pass the bound are the few the tools publish meanwhile (alerts): racing the player for the
   * last slot, those were dropped before (1 of 1M in a replay into every tool).
   */
  lossless?: boolean;
}

const isDropReport = (e: PeerwatchEvent): boolean => e.type === "events.dropped";

class MemorySubscription implements Subscription {
  readonly queue: EventQueue<PeerwatchEvent>;
  delivered = 0;
  dropped = 0;
  reportedDrops = 0;
  handlerErrors = 0;
  running = false;
  closed = false;
  idle: (() => void)[] = [];

  constructor(
    readonly name: string,
    readonly prefixes: readonly string[] | undefined,
    maxQueue: number,
    readonly handler: { each: EventHandler } | { batch: BatchHandler },
    private readonly detach: (s: MemorySubscription) => void,
  ) {
    this.queue = new EventQueue(maxQueue);
  }

  get pending(): number {
    return this.queue.events;
  }

  unsubscribe(): void {
    this.closed = true;
    this.queue.clear();
    this.detach(this);
    this.wakeIdle();
  }

  wakeIdle(): void {
    for (const f of this.idle.splice(0)) f();
  }
}

export class MemoryBus implements EventBus {
  private readonly subs = new Set<MemorySubscription>();
  /** Subscribers of each event type, worked out once per type (types are few) and dropped on (un)subscribe. */
  private readonly routes = new Map<string, MemorySubscription[]>();
  private published = 0;
  private closing = false;
  private readonly timer: NodeJS.Timeout;
  private readonly defaultMaxQueue: number;
  /** Producers waiting for room in every queue (replay's backpressure); empty in normal running. */
  private writableWaiters: (() => void)[] = [];
  /** Events the waiting producer wants room for (its next batch). */
  private wantedRoom = 1;
  private readonly lossless: boolean;

  constructor(private readonly options: MemoryBusOptions) {
    this.defaultMaxQueue = options.defaultMaxQueue ?? DEFAULT_MAX_QUEUE;
    this.lossless = options.lossless ?? false;
    this.timer = setInterval(() => this.reportDrops(), options.dropReportIntervalMs ?? 1000);
    this.timer.unref();
  }

  publish(event: PeerwatchEvent): void {
    if (this.closing) return;
    this.published++;
    // Loss reports pass a full queue: they are one per source and second at most, and dropping
    // them would lose the count of what was lost.
    const force = this.lossless || event.type === "events.dropped";
    const route = this.routes.get(event.type) ?? this.route(event.type);
    for (let i = 0; i < route.length; i++) {
      const s = route[i]!;
      if (!s.queue.push(event, 1, force)) {
        s.dropped++;
        continue;
      }
      if (!s.running) this.start(s);
    }
  }

  publishBatch(events: readonly PeerwatchEvent[]): void {
    if (this.closing || events.length === 0) return;
    const type = events[0]!.type;
    let mixed = false;
    for (let i = 1; i < events.length; i++) {
      if (events[i]!.type !== type) {
        mixed = true;
        break;
      }
    }
    // A loss report in a batch must pass a full queue and the rest must not: rare (the node's
    // drop count rides with an IPC batch), so such a batch goes event by event.
    if (mixed ? events.some(isDropReport) : isDropReport(events[0]!)) {
      for (let i = 0; i < events.length; i++) this.publish(events[i]!);
      return;
    }
    this.published += events.length;
    if (!mixed) {
      const route = this.routes.get(type) ?? this.route(type);
      for (let i = 0; i < route.length; i++) this.offer(route[i]!, events);
      return;
    }
    // Mixed types (a bpftrace pipe read: messages, blocks, mempool). The types are few: a subscriber
    // that takes every one of them gets the batch's own array; only the others get a filtered copy.
    const types = new Set<string>();
    for (let i = 0; i < events.length; i++) types.add(events[i]!.type);
    const takes = new Map<MemorySubscription, number>();
    for (const t of types) {
      const route = this.routes.get(t) ?? this.route(t);
      for (let j = 0; j < route.length; j++) takes.set(route[j]!, (takes.get(route[j]!) ?? 0) + 1);
    }
    for (const [s, n] of takes) {
      if (n === types.size) this.offer(s, events);
      else
        this.offer(
          s,
          events.filter((e) => matchesPrefixes(e.type, s.prefixes)),
        );
    }
  }

  /** Queues a batch for one subscriber; what its queue has no room for is dropped, counted per event. */
  private offer(s: MemorySubscription, events: readonly PeerwatchEvent[]): void {
    const n = events.length;
    if (!s.queue.push(n === 1 ? events[0]! : events, n, this.lossless)) {
      const room = s.queue.room;
      s.dropped += n - room;
      if (room === 0) return;
      s.queue.push(events.slice(0, room), room);
    }
    if (!s.running) this.start(s);
  }

  subscribe(options: SubscribeOptions, handler: EventHandler): Subscription {
    return this.add(options, { each: handler });
  }

  subscribeBatches(options: SubscribeOptions, handler: BatchHandler): Subscription {
    return this.add(options, { batch: handler });
  }

  private add(options: SubscribeOptions, handler: MemorySubscription["handler"]): Subscription {
    const s = new MemorySubscription(options.name, options.prefixes, options.maxQueue ?? this.defaultMaxQueue, handler, (x) => {
      this.subs.delete(x);
      this.routes.clear();
      if (this.writableWaiters.length > 0) this.wakeWritable();
    });
    this.subs.add(s);
    this.routes.clear();
    return s;
  }

  private route(type: string): MemorySubscription[] {
    const route = [...this.subs].filter((s) => matchesPrefixes(type, s.prefixes));
    if (this.routes.size < 1024) this.routes.set(type, route); // a bound, should a publisher invent types
    return route;
  }

  stats(): BusStats {
    return {
      published: this.published,
      subscribers: [...this.subs].map((s) => ({
        name: s.name,
        pending: s.pending,
        delivered: s.delivered,
        dropped: s.dropped,
        handlerErrors: s.handlerErrors,
      })),
    };
  }

  async close(timeoutMs = 2000): Promise<void> {
    if (this.closing) return;
    this.reportDrops(); // last words while subscribers still listen
    this.closing = true;
    clearInterval(this.timer);
    const drained = Promise.all([...this.subs].map((s) => this.whenIdle(s)));
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([drained, new Promise<void>((r) => (timeout = setTimeout(r, timeoutMs)))]);
    clearTimeout(timeout);
    for (const s of [...this.subs]) s.unsubscribe();
    for (const f of this.writableWaiters.splice(0)) f();
  }

  /** True when every subscriber's queue can take `n` more events now (a batch bigger than a queue: when it is empty). */
  hasRoom(n = 1): boolean {
    for (const s of this.subs) if (s.queue.room < Math.min(n, s.queue.capacity)) return false;
    return true;
  }

  /** Events every subscriber's queue can take now: what a producer that must not lose any may publish. */
  room(): number {
    let room = Number.MAX_SAFE_INTEGER;
    for (const s of this.subs) if (s.queue.room < room) room = s.queue.room;
    return room;
  }

  /**
   * Resolves when every subscriber's queue has room for `n` more events. For a producer that must
   * not lose events (replay): it awaits this instead of letting publish drop. Live sources never
   * wait; publish is unchanged for them.
   */
  whenWritable(n = 1): Promise<void> {
    if (this.closing || this.hasRoom(n)) return Promise.resolve();
    this.wantedRoom = Math.max(this.wantedRoom, n);
    return new Promise((r) => this.writableWaiters.push(r));
  }

  /** Resolves when every subscriber has handled everything queued, including what handlers publish meanwhile. */
  async drained(): Promise<void> {
    while (!this.closing && [...this.subs].some((s) => s.running || s.pending > 0)) {
      await Promise.all([...this.subs].map((s) => this.whenIdle(s)));
    }
  }

  private wakeWritable(): void {
    if (!this.hasRoom(this.wantedRoom)) return;
    this.wantedRoom = 1;
    for (const f of this.writableWaiters.splice(0)) f();
  }

  /** Resolves when every subscriber has handled everything queued for it (durable readers ack then). */
  idle(): Promise<void> {
    return Promise.all([...this.subs].map((s) => this.whenIdle(s))).then(() => undefined);
  }

  private whenIdle(s: MemorySubscription): Promise<void> {
    if (!s.running && s.pending === 0) return Promise.resolve();
    return new Promise((r) => s.idle.push(r));
  }

  private start(s: MemorySubscription): void {
    s.running = true;
    setImmediate(() => void this.drain(s));
  }

  private async drain(s: MemorySubscription): Promise<void> {
    let n = 0;
    let turn = Math.max(SLICE, s.queue.events);
    const half = s.queue.capacity >> 1;
    while (!s.closed) {
      const entry = s.queue.shift();
      if (entry === undefined) break;
      if ("batch" in s.handler) n += await this.deliverBatch(s, s.handler.batch, entry);
      else n += await this.deliverEach(s, s.handler.each, entry);
      // Wake a waiting producer once this queue is half empty, not on every event.
      if (this.writableWaiters.length > 0 && s.queue.events <= half) this.wakeWritable();
      if (n >= turn) {
        n = 0;
        await new Promise<void>((r) => setImmediate(r)); // let producers run
        turn = Math.max(SLICE, s.queue.events);
      }
    }
    s.running = false;
    s.wakeIdle();
    if (this.writableWaiters.length > 0) this.wakeWritable();
  }

  /** One handler call for a batch, or for single events queued back to back (gathered, up to SLICE). */
  private async deliverBatch(s: MemorySubscription, handler: BatchHandler, entry: PeerwatchEvent | readonly PeerwatchEvent[]): Promise<number> {
    let events: readonly PeerwatchEvent[];
    if (Array.isArray(entry)) events = entry as readonly PeerwatchEvent[];
    else {
      const gathered = [entry as PeerwatchEvent];
      for (let next = s.queue.peek(); next !== undefined && !Array.isArray(next) && gathered.length < SLICE; next = s.queue.peek())
        gathered.push(s.queue.shift() as PeerwatchEvent);
      events = gathered;
    }
    try {
      const r = handler(events);
      if (r !== undefined && typeof (r as Promise<void>).then === "function") await r;
    } catch (err) {
      s.handlerErrors++;
      this.options.onHandlerError?.(s.name, err);
    }
    s.delivered += events.length;
    return events.length;
  }

  /** The events of an entry one by one, each handler's promise awaited before the next. */
  private async deliverEach(s: MemorySubscription, handler: EventHandler, entry: PeerwatchEvent | readonly PeerwatchEvent[]): Promise<number> {
    const events = Array.isArray(entry) ? (entry as readonly PeerwatchEvent[]) : undefined;
    const n = events === undefined ? 1 : events.length;
    for (let i = 0; i < n && !s.closed; i++) {
      try {
        const r = handler(events === undefined ? (entry as PeerwatchEvent) : events[i]!);
        if (r !== undefined && typeof (r as Promise<void>).then === "function") await r;
      } catch (err) {
        s.handlerErrors++;
        this.options.onHandlerError?.(s.name, err);
      }
      s.delivered++;
    }
    return n;
  }

  /** Publish one `events.dropped` per subscriber that lost events since the last report. */
  private reportDrops(): void {
    for (const s of this.subs) {
      const count = s.dropped - s.reportedDrops;
      if (count <= 0) continue;
      s.reportedDrops = s.dropped;
      this.publish(
        makeEvent("peerwatch", this.options.nodeName, "events.dropped", {
          source: `bus:${s.name}`,
          count,
          reason: `${DROP_REASONS.queueFull} (${s.queue.capacity} events)`,
        }),
      );
    }
  }
}
