// Counting through prom-client costs, per call, a hash of the label object, a check of every label
// name and a lookup in a dictionary-mode object: on the hot path (every P2P message) that is more
// than the rest of the metrics tool. Here the hot path adds plain numbers to the sums of a label
// set, found by its values in nested maps (the values are strings the parser keeps, whose hashes
// V8 keeps with them: no key string is built per event), and the sums go to prom-client when it is
// scraped (its `collect` hook), so /metrics shows exactly what a direct inc() would have. Label
// sets are as few as the combinations the caller can make (bounded labels: see labels.ts).
import type { Counter } from "prom-client";

type Labels = Record<string, string>;

interface Pending {
  labels: Labels;
  /** One sum per counter, in the order the counters were given. */
  sums: number[];
}

/** Nested maps, one level per label, down to the label set's sums. */
type Level = Map<string, Level | Pending>;

/** DeferredCounts made with a label count it does not handle (a programming error). */
export class DeferredCountsError extends RangeError {
  override name = "DeferredCountsError";
}

export class DeferredCounts {
  private readonly root: Level = new Map();
  private readonly all: Pending[] = [];

  /**
   * The counters whose values this holds, all with the same label names (at most three); call
   * `flush` from each one's collect (see `collectFrom`).
   */
  constructor(
    private readonly counters: readonly Counter<string>[],
    private readonly labelNames: readonly string[],
  ) {
    if (labelNames.length < 1 || labelNames.length > 3) throw new DeferredCountsError(`DeferredCounts takes 1 to 3 label names, got ${labelNames.length}`);
  }

  /**
   * The sums of the label set with these values (in the order of the label names), made the first
   * time: add to `sums[i]` for counter i.
   */
  sums(a: string, b = "", c = ""): number[] {
    const n = this.labelNames.length;
    let level = this.root;
    let node = level.get(a);
    if (n > 1) {
      if (node === undefined) level.set(a, (node = new Map()));
      level = node as Level;
      node = level.get(b);
      if (n > 2) {
        if (node === undefined) level.set(b, (node = new Map()));
        level = node as Level;
        node = level.get(c);
      }
    }
    if (node === undefined) {
      const values = [a, b, c];
      const p: Pending = {
        labels: Object.fromEntries(this.labelNames.map((name, i) => [name, values[i]!])),
        sums: new Array<number>(this.counters.length).fill(0),
      };
      level.set(n === 1 ? a : n === 2 ? b : c, p);
      this.all.push(p);
      return p.sums;
    }
    return (node as Pending).sums;
  }

  /** Hands the sums to prom-client. */
  flush(): void {
    for (const p of this.all) {
      for (let i = 0; i < this.counters.length; i++) {
        const n = p.sums[i]!;
        if (n === 0) continue;
        this.counters[i]!.inc(p.labels, n);
        p.sums[i] = 0;
      }
    }
  }

  /** Label sets seen so far. */
  get keys(): number {
    return this.all.length;
  }
}

/** A `collect` hook for a counter whose counts wait in a DeferredCounts made later. */
export function collectFrom(get: () => DeferredCounts | undefined): () => void {
  return () => get()?.flush();
}
