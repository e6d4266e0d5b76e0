// Cap'n Proto standard stream framing, incoming side: (segment count − 1) as u32, each segment's
// size in words as u32, padding to 8 bytes, then the segments. Bytes arrive in arbitrary socket
// chunks; whole messages come out. Limits are checked from the header, before the body is buffered,
// so a hostile peer cannot make us allocate more than the limit.

export class FramingError extends Error {
  override name = "FramingError";
}

/** libcapnp's own default: more segments than this is a malformed or hostile message. */
export const MAX_SEGMENTS = 512;

export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Total size of the message being read, once its header is known. */
  private expected: number | undefined;
  /** A bad header found after whole messages in the same push: thrown by the next push. */
  failure: FramingError | undefined;

  constructor(readonly maxMessageBytes: number) {}

  /** Bytes received but not yet part of a whole message. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /**
   * Feeds a chunk; returns every message it completes (each a fresh ArrayBuffer). Throws
   * FramingError, but only once the whole messages before the bad header have been returned: a
   * valid message and a bad header in the same read must not lose the valid one. The error is then
   * thrown by the next push (or read from `failure`).
   */
  push(chunk: Buffer): ArrayBuffer[] {
    if (this.failure) throw this.failure;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: ArrayBuffer[] = [];
    for (;;) {
      if (this.expected === undefined) {
        try {
          this.expected = this.readHeader();
        } catch (e) {
          if (!(e instanceof FramingError) || out.length === 0) throw e;
          this.failure = e;
          return out;
        }
        if (this.expected === undefined) return out;
      }
      if (this.buffered < this.expected) return out;
      const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.buffered);
      const msg = new ArrayBuffer(this.expected);
      new Uint8Array(msg).set(all.subarray(0, this.expected));
      const rest = all.subarray(this.expected);
      this.chunks = rest.length ? [rest] : [];
      this.buffered = rest.length;
      this.expected = undefined;
      out.push(msg);
    }
  }

  /** Total message size from the header, or undefined when the header is not all here yet. */
  private readHeader(): number | undefined {
    if (this.buffered < 4) return undefined;
    const head = this.peek(Math.min(this.buffered, 8 + 4 * MAX_SEGMENTS));
    const segments = head.readUInt32LE(0) + 1;
    if (segments > MAX_SEGMENTS) throw new FramingError(`message claims ${segments} segments (at most ${MAX_SEGMENTS})`);
    const headerBytes = 4 + 4 * segments + (segments % 2 === 0 ? 4 : 0);
    if (head.length < headerBytes) return undefined;
    let words = 0;
    for (let i = 0; i < segments; i++) words += head.readUInt32LE(4 + 4 * i);
    const total = headerBytes + words * 8;
    if (words === 0) throw new FramingError("message with no data (all segments empty)");
    if (total > this.maxMessageBytes) {
      throw new FramingError(`message of ${total} bytes exceeds the limit of ${this.maxMessageBytes} bytes`);
    }
    return total;
  }

  private peek(n: number): Buffer {
    if ((this.chunks[0] as Buffer).length >= n) return (this.chunks[0] as Buffer).subarray(0, n);
    const all = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [all];
    return all.subarray(0, n);
  }
}
