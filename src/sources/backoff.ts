// Exponential backoff between reconnection attempts: the minimum after a success, doubling with
// each failure up to the maximum.
export class Backoff {
  private current: number;

  constructor(
    readonly minMs: number,
    readonly maxMs: number,
  ) {
    this.current = minMs;
  }

  /** The delay to wait now; the next one is twice as long, up to the maximum. */
  next(): number {
    const d = this.current;
    this.current = Math.min(this.current * 2, this.maxMs);
    return d;
  }

  reset(): void {
    this.current = this.minMs;
  }
}
