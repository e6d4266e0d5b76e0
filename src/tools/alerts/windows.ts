// Trailing-window state for the heuristics: O(1) amortised per event and bounded memory whatever
// the traffic, so the detector cannot be slowed down by the flood it exists to detect.
//
// WindowSum: per key, a running sum over the last `buckets` time buckets of width window/buckets
// (a ring of counts). The window an event falls in is defined by its bucket: at time `now`, the
// sum holds the events whose bucket is one of the `buckets` buckets ending with now's own (so it
// spans between window − width and window of time). That sum is exact; the memory per key is one
// fixed array. At most `maxKeys` keys are kept (the least recently seen are forgotten first, and
// their arrays reused), so a flood of peer ids cannot grow it either.

type Key = string | number;

interface Ring {
  counts: Float64Array;
  /** Absolute index (time / width) of the newest bucket. */
  newest: number;
  total: number;
}

/** A window built with sizes that cannot work (a programming error, found when it is made). */
export class WindowSizeError extends RangeError {
  override name = "WindowSizeError";
}

export class WindowSum {
  readonly bucketUs: number;
  private readonly rings = new Map<Key, Ring>();

  constructor(
    windowUs: number,
    readonly buckets = 60,
    readonly maxKeys = 10_000,
  ) {
    if (!(windowUs > 0) || !Number.isInteger(buckets) || buckets < 1 || !Number.isInteger(maxKeys) || maxKeys < 1) {
      throw new WindowSizeError(`bad window: ${windowUs} µs, ${buckets} buckets, ${maxKeys} keys`);
    }
    this.bucketUs = Math.max(1, Math.ceil(windowUs / buckets));
  }

  /** Adds `v` at time `t` (events older than the window are ignored); returns the key's sum at `t`. */
  add(key: Key, t: number, v = 1): number {
    let ring = this.rings.get(key);
    if (ring === undefined) {
      ring = this.newRing(t);
    } else {
      this.rings.delete(key); // re-inserted below: the most recently seen key goes last
    }
    this.rings.set(key, ring);
    const b = Math.floor(t / this.bucketUs);
    this.advance(ring, b);
    if (b > ring.newest - this.buckets) {
      ring.counts[b % this.buckets]! += v;
      ring.total += v;
    }
    return ring.total;
  }

  /** The key's sum at time `now` (0 for a key never seen or forgotten). */
  sum(key: Key, now: number): number {
    const ring = this.rings.get(key);
    if (ring === undefined) return 0;
    this.advance(ring, Math.floor(now / this.bucketUs));
    return ring.total;
  }

  get size(): number {
    return this.rings.size;
  }

  /** Clears the buckets that fell out of the window when time moves to bucket `b`. */
  private advance(ring: Ring, b: number): void {
    if (b <= ring.newest) return; // same bucket, or an event a little out of order
    const n = Math.min(b - ring.newest, this.buckets);
    for (let i = 1; i <= n; i++) {
      const idx = (ring.newest + i) % this.buckets;
      ring.total -= ring.counts[idx]!;
      ring.counts[idx] = 0;
    }
    ring.newest = b;
    if (n === this.buckets) ring.total = 0; // exact zero, whatever rounding came before
  }

  private newRing(t: number): Ring {
    const newest = Math.floor(t / this.bucketUs);
    if (this.rings.size < this.maxKeys) return { counts: new Float64Array(this.buckets), newest, total: 0 };
    // Full: forget the least recently seen key and reuse its array.
    const [oldKey, ring] = this.rings.entries().next().value as [Key, Ring];
    this.rings.delete(oldKey);
    ring.counts.fill(0);
    ring.newest = newest;
    ring.total = 0;
    return ring;
  }
}

/**
 * The maximum of the values added within the trailing window (exact: by timestamp), with a
 * monotonic queue: each value is pushed and popped once, so O(1) amortised. At most `maxEntries`
 * are held (the oldest go first), which only matters past that many values per window.
 */
export class WindowMax {
  private ts: number[] = [];
  private vs: number[] = [];
  private head = 0;

  constructor(
    private readonly windowUs: number,
    private readonly maxEntries = 4096,
  ) {}

  /** Max of the values added after `now − window`, or -Infinity when there are none. */
  max(now: number): number {
    while (this.head < this.ts.length && this.ts[this.head]! <= now - this.windowUs) this.head++;
    this.compact();
    return this.head < this.vs.length ? this.vs[this.head]! : -Infinity;
  }

  add(t: number, v: number): void {
    // A value not above a later one can never be the maximum again.
    while (this.vs.length > this.head && this.vs[this.vs.length - 1]! <= v) {
      this.vs.pop();
      this.ts.pop();
    }
    this.ts.push(t);
    this.vs.push(v);
    if (this.vs.length - this.head > this.maxEntries) this.head++;
    this.compact();
  }

  get length(): number {
    return this.vs.length - this.head;
  }

  private compact(): void {
    if (this.head >= 1024 && this.head * 2 >= this.vs.length) {
      this.ts = this.ts.slice(this.head);
      this.vs = this.vs.slice(this.head);
      this.head = 0;
    }
  }
}

/** The last `capacity` (time, value) samples, overwriting the oldest: for alert details only. */
export class RecentSamples {
  private readonly ts: Float64Array;
  private readonly vs: Float64Array;
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.ts = new Float64Array(capacity);
    this.vs = new Float64Array(capacity);
  }

  add(t: number, v: number): void {
    this.ts[this.next] = t;
    this.vs[this.next] = v;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
  }

  /** Values of the samples after `since`, in no particular order. */
  valuesSince(since: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.count; i++) if (this.ts[i]! > since) out.push(this.vs[i]!);
    return out;
  }
}
