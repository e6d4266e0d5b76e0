// A bounded sample of delays: exact median and max up to `capacity` values, then a uniform
// reservoir (median approximate, max still exact), so a message flood cannot grow memory.
import type { DelayStats } from "./report.js";

export class DelaySample {
  private readonly values: number[] = [];
  private seen = 0;
  private max = -Infinity;

  constructor(private readonly capacity = 20_000) {}

  add(ms: number): void {
    this.seen++;
    if (ms > this.max) this.max = ms;
    if (this.values.length < this.capacity) this.values.push(ms);
    else {
      const j = Math.floor(Math.random() * this.seen);
      if (j < this.capacity) this.values[j] = ms;
    }
  }

  stats(): DelayStats {
    if (this.seen === 0) return { samples: 0, medianMs: null, maxMs: null };
    return { samples: this.seen, medianMs: round(median(this.values)), maxMs: round(this.max) };
  }
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Milliseconds to 3 decimals (µs resolution of the event times). */
export function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
