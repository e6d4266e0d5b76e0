// Counting through prom-client costs, per call, a hash of the label object, a check of every label
// name and a lookup in a dictionary-mode object: on the hot path (every P2P message) that is more
// than the rest of the metrics tool. Here the hot path adds plain numbers under a key made from
// already-bounded label values, and the sums go to prom-client when it is scraped (its `collect`
// hook), so /metrics shows exactly what a direct inc() would have. Keys are as few as the label
// combinations the caller can make (bounded labels: see labels.ts).
import type { Counter } from "prom-client";

type Labels = Record<string, string | number>;

interface Pending {
  labels: Labels;
  /** One sum per counter, in the order the counters were given. */
  sums: number[];
}

export class DeferredCounts {
  private readonly pending = new Map<string, Pending>();

  /** The counters whose values this holds; call `flush` from each one's collect (see `collectFrom`). */
  constructor(private readonly counters: readonly Counter<string>[]) {}

  /** Adds `values[i]` to counter i for the label set named `key` (labels() builds it the first time). */
  add(key: string, labels: () => Labels, a: number, b?: number): void {
    let p = this.pending.get(key);
    if (p === undefined) {
      p = { labels: labels(), sums: new Array<number>(this.counters.length).fill(0) };
      this.pending.set(key, p);
    }
    p.sums[0]! += a;
    if (b !== undefined) p.sums[1]! += b;
  }

  /** Hands the sums to prom-client. */
  flush(): void {
    for (const p of this.pending.values()) {
      for (let i = 0; i < this.counters.length; i++) {
        const n = p.sums[i]!;
        if (n === 0) continue;
        this.counters[i]!.inc(p.labels, n);
        p.sums[i] = 0;
      }
    }
  }

  get keys(): number {
    return this.pending.size;
  }
}

/** A `collect` hook for a counter whose counts wait in a DeferredCounts made later. */
export function collectFrom(get: () => DeferredCounts | undefined): () => void {
  return () => get()?.flush();
}
