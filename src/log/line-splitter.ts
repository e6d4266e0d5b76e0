// Bytes → lines, holding at most one line's worth of bytes. A line longer than the limit is cut at
// the limit, handed on marked `truncated`, and the rest of it up to the newline is skipped, so a
// log without newlines (or a binary file) costs a bounded amount of memory.

export interface SplitLine {
  text: string;
  truncated: boolean;
  /** Offset just past this line's newline, counted from where the splitter started. */
  end: number;
}

export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Inside an over-long line whose head was already handed on: skip to the next newline. */
  private skipping = false;
  /** Bytes pushed so far. */
  private consumed = 0;

  constructor(readonly maxLineBytes: number) {}

  /** Splits a chunk; returns the complete lines in it (the incomplete tail is kept for the next chunk). */
  push(chunk: Buffer): SplitLine[] {
    const out: SplitLine[] = [];
    let start = 0;
    const base = this.consumed;
    this.consumed += chunk.length;
    while (start < chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      const stop = nl === -1 ? chunk.length : nl;
      if (this.skipping) {
        if (nl === -1) return out;
        this.skipping = false;
        start = nl + 1;
        continue;
      }
      const room = this.maxLineBytes - this.pendingBytes;
      if (stop - start > room) {
        // Too long: hand on the head now, skip the rest of this line.
        this.pending.push(chunk.subarray(start, start + room));
        out.push({ text: this.take(), truncated: true, end: nl === -1 ? base + chunk.length : base + nl + 1 });
        if (nl === -1) {
          this.skipping = true;
          return out;
        }
        start = nl + 1;
        continue;
      }
      if (nl === -1) {
        // Copied: the caller may reuse its read buffer.
        this.pending.push(Buffer.from(chunk.subarray(start)));
        this.pendingBytes += chunk.length - start;
        return out;
      }
      this.pending.push(chunk.subarray(start, nl));
      out.push({ text: this.take(), truncated: false, end: base + nl + 1 });
      start = nl + 1;
    }
    return out;
  }

  /** Bytes of an incomplete line held (they are re-read after a restart, not lost). */
  get heldBytes(): number {
    return this.pendingBytes;
  }

  /** Forgets any partial line (the file was replaced or truncated under us). */
  reset(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.skipping = false;
    this.consumed = 0;
  }

  private take(): string {
    const s = (this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending)).toString("utf8");
    this.pending = [];
    this.pendingBytes = 0;
    return s.endsWith("\r") ? s.slice(0, -1) : s;
  }
}
