// A FIFO with a hard capacity: push refuses when full, so the caller decides what a drop means.
// Array with a moving head, compacted now and then: O(1) amortised, no per-item allocation.
/** A queue made with a capacity below 1 (a programming error, found when it is made). */
export class QueueCapacityError extends RangeError {
  override name = "QueueCapacityError";
}

export class BoundedQueue<T> {
  private items: T[] = [];
  private head = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new QueueCapacityError(`queue capacity must be ≥ 1, got ${capacity}`);
  }

  get length(): number {
    return this.items.length - this.head;
  }

  /** Adds an item; refuses when full unless `force` (for the few items that must not be lost). */
  push(item: T, force = false): boolean {
    if (!force && this.length >= this.capacity) return false;
    this.items.push(item);
    return true;
  }

  /** The next item, left in the queue. */
  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head] as T;
    this.items[this.head] = undefined as T; // let it be collected
    this.head++;
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

/**
 * The queue of one bus subscriber: entries are single events or whole batches (arrays), bounded by
 * the events they hold (so also by batches: a batch holds at least one). One entry per published
 * batch, not per event: a flood of 1024-message trace batches is 1024 times fewer pushes and shifts.
 */
export class EventQueue<T> {
  private readonly entries = new BoundedQueue<T | readonly T[]>(Number.MAX_SAFE_INTEGER);
  /** Events held, counting each batch by its length. */
  events = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new QueueCapacityError(`queue capacity must be ≥ 1, got ${capacity}`);
  }

  /** Room for this many more events now. */
  get room(): number {
    return Math.max(0, this.capacity - this.events);
  }

  /** Adds one entry of `n` events; `force` passes a full queue (for what must not be lost). */
  push(entry: T | readonly T[], n: number, force = false): boolean {
    if (!force && this.events + n > this.capacity) return false;
    this.entries.push(entry, true);
    this.events += n;
    return true;
  }

  peek(): T | readonly T[] | undefined {
    return this.entries.peek();
  }

  shift(): T | readonly T[] | undefined {
    const entry = this.entries.shift();
    if (entry !== undefined) this.events -= Array.isArray(entry) ? entry.length : 1;
    return entry;
  }

  clear(): void {
    this.entries.clear();
    this.events = 0;
  }
}
