// The bus interface every transport implements: the in-process bus (default) and NATS (for tools on
// other machines). Publishing never blocks and never throws; each subscriber has a bounded queue,
// and what a subscriber loses is counted, per event, and reported as `events.dropped`.
// Events travel one by one or in batches (one IPC trace batch, one bpftrace pipe read, one chunk
// of a recording): a batch is one queue entry and one delivery, so a flood costs per batch what
// it used to cost per event; a subscriber takes events one by one or whole batches.
import type { PeerwatchEvent } from "../events/index.js";

export type EventHandler = (event: PeerwatchEvent) => void | Promise<void>;
/** Takes the events of one or more published batches (never empty); the array is not kept by the bus. */
export type BatchHandler = (events: readonly PeerwatchEvent[]) => void | Promise<void>;

export interface SubscribeOptions {
  /** Names the subscriber in drop reports and metrics, e.g. "metrics", "ndjson". */
  name: string;
  /** Type prefixes to receive ("net.", "mempool.", "tip.changed"); empty or absent: everything. */
  prefixes?: readonly string[];
  /** Events held for this subscriber before new ones are dropped (batches count by their events). */
  maxQueue?: number;
}

export interface Subscription {
  readonly name: string;
  /** Events waiting for the handler. */
  readonly pending: number;
  /** Events dropped because the queue was full, since the subscription began. */
  readonly dropped: number;
  unsubscribe(): void;
}

export interface SubscriberStats {
  name: string;
  pending: number;
  delivered: number;
  dropped: number;
  handlerErrors: number;
}

export interface BusStats {
  published: number;
  subscribers: SubscriberStats[];
}

export interface EventBus {
  publish(event: PeerwatchEvent): void;
  /** Publishes events as one batch: the same as publishing each in order, at the cost of one. */
  publishBatch(events: readonly PeerwatchEvent[]): void;
  subscribe(options: SubscribeOptions, handler: EventHandler): Subscription;
  /** As subscribe, but the handler takes the events of whole batches at once. */
  subscribeBatches(options: SubscribeOptions, handler: BatchHandler): Subscription;
  stats(): BusStats;
  /** Stop taking events, deliver what is queued (up to `timeoutMs`), report last drops, and close. */
  close(timeoutMs?: number): Promise<void>;
}

/** True when an event type matches one of the prefixes (no prefixes: everything matches). */
export function matchesPrefixes(type: string, prefixes: readonly string[] | undefined): boolean {
  if (!prefixes || prefixes.length === 0) return true;
  return prefixes.some((p) => type.startsWith(p));
}
