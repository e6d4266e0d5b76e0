// The default bus: in-process, zero setup. Each subscriber gets its own bounded queue and is fed
// asynchronously, one event at a time (a handler's promise is awaited before the next event), so a
// slow subscriber only fills its own queue; when that is full, new events for it are dropped and
// counted. Drops are reported as `events.dropped` events once per interval, not once per event.
import { DROP_REASONS, makeEvent, type PeerwatchEvent } from "../events/index.js";
import { BoundedQueue } from "./bounded-queue.js";
import {
  matchesPrefixes,
  type BusStats,
  type EventBus,
  type EventHandler,
  type SubscribeOptions,
  type Subscription,
} from "./types.js";

export const DEFAULT_MAX_QUEUE = 10_000;
/** Sync handlers are run in slices this big before yielding to the event loop. */
const SLICE = 256;

export interface MemoryBusOptions {
  /** Node name stamped on the bus's own `events.dropped` events. */
  nodeName: string;
  defaultMaxQueue?: number;
  /** How often drops are summarised into `events.dropped` (ms). */
  dropReportIntervalMs?: number;
  /** Called when a handler throws or rejects; the event counts as delivered. */
  onHandlerError?: (subscriber: string, error: unknown) => void;
}

class MemorySubscription implements Subscription {
  readonly queue: BoundedQueue<PeerwatchEvent>;
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
    readonly handler: EventHandler,
    private readonly detach: (s: MemorySubscription) => void,
  ) {
    this.queue = new BoundedQueue(maxQueue);
  }

  get pending(): number {
    return this.queue.length;
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

  constructor(private readonly options: MemoryBusOptions) {
    this.defaultMaxQueue = options.defaultMaxQueue ?? DEFAULT_MAX_QUEUE;
    this.timer = setInterval(() => this.reportDrops(), options.dropReportIntervalMs ?? 1000);
    this.timer.unref();
  }

  publish(event: PeerwatchEvent): void {
    if (this.closing) return;
    this.published++;
    // Loss reports pass a full queue: they are one per source and second at most, and dropping
    // them would lose the count of what was lost.
    const force = event.type === "events.dropped";
    const route = this.routes.get(event.type) ?? this.route(event.type);
    for (let i = 0; i < route.length; i++) {
      const s = route[i]!;
      if (!s.queue.push(event, force)) {
        s.dropped++;
        continue;
      }
      if (!s.running) this.start(s);
    }
  }

  subscribe(options: SubscribeOptions, handler: EventHandler): Subscription {
    const s = new MemorySubscription(
      options.name,
      options.prefixes,
      options.maxQueue ?? this.defaultMaxQueue,
      handler,
      (x) => {
        this.subs.delete(x);
        this.routes.clear();
        if (this.writableWaiters.length > 0) this.wakeWritable();
      },
    );
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

  /** True when every subscriber's queue can take one more event now. */
  hasRoom(): boolean {
    for (const s of this.subs) if (s.pending >= s.queue.capacity) return false;
    return true;
  }

  /**
   * Resolves when every subscriber's queue has room again. For a producer that must not lose events
   * (replay): it awaits this instead of letting publish drop. Live sources never wait; publish is
   * unchanged for them.
   */
  whenWritable(): Promise<void> {
    if (this.closing || this.hasRoom()) return Promise.resolve();
    return new Promise((r) => this.writableWaiters.push(r));
  }

  /** Resolves when every subscriber has handled everything queued, including what handlers publish meanwhile. */
  async drained(): Promise<void> {
    while (!this.closing && [...this.subs].some((s) => s.running || s.pending > 0)) {
      await Promise.all([...this.subs].map((s) => this.whenIdle(s)));
    }
  }

  private wakeWritable(): void {
    if (this.hasRoom()) for (const f of this.writableWaiters.splice(0)) f();
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
    while (!s.closed) {
      const event = s.queue.shift();
      if (event === undefined) break;
      try {
        const r = s.handler(event);
        if (r !== undefined && typeof (r as Promise<void>).then === "function") await r;
      } catch (err) {
        s.handlerErrors++;
        this.options.onHandlerError?.(s.name, err);
      }
      s.delivered++;
      // Wake a waiting producer once this queue is half empty, not on every event.
      if (this.writableWaiters.length > 0 && s.queue.length <= s.queue.capacity >> 1) this.wakeWritable();
      if (++n % SLICE === 0) await new Promise<void>((r) => setImmediate(r)); // let producers run
    }
    s.running = false;
    s.wakeIdle();
    if (this.writableWaiters.length > 0) this.wakeWritable();
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
