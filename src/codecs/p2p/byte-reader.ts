// Bounded reading of Bitcoin's little-endian wire types. Every read checks the remaining length,
// and counts (CompactSize) are checked against a caller's maximum before anything is allocated.

export class P2pDecodeError extends Error {
  override name = "P2pDecodeError";
}

export class ByteReader {
  private off = 0;
  /** Integers are read through one view of the buffer, not a Buffer made per field. */
  private readonly view: DataView;
  constructor(
    private readonly buf: Uint8Array,
    private readonly what = "message",
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get offset(): number {
    return this.off;
  }
  get remaining(): number {
    return this.buf.length - this.off;
  }

  private need(n: number, field: string): void {
    if (n > this.remaining) throw new P2pDecodeError(`${this.what}: ${field} needs ${n} bytes at offset ${this.off}, ${this.remaining} left`);
  }

  bytes(n: number, field: string): Uint8Array {
    this.need(n, field);
    const b = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return b;
  }

  u8(field: string): number {
    this.need(1, field);
    return this.buf[this.off++] as number;
  }

  u16be(field: string): number {
    const b = this.bytes(2, field);
    return ((b[0] as number) << 8) | (b[1] as number);
  }

  u32le(field: string): number {
    this.need(4, field);
    const v = this.view.getUint32(this.off, true);
    this.off += 4;
    return v;
  }

  i32le(field: string): number {
    this.need(4, field);
    const v = this.view.getInt32(this.off, true);
    this.off += 4;
    return v;
  }

  u64le(field: string): bigint {
    this.need(8, field);
    const v = this.view.getBigUint64(this.off, true);
    this.off += 8;
    return v;
  }

  i64le(field: string): bigint {
    this.need(8, field);
    const v = this.view.getBigInt64(this.off, true);
    this.off += 8;
    return v;
  }

  /** Bitcoin's CompactSize, refused above `max` (and when not minimally encoded, as Core does). */
  compactSize(field: string, max: number): number {
    const first = this.u8(field);
    let v: number;
    if (first < 0xfd) v = first;
    else if (first === 0xfd) {
      const b = this.bytes(2, field);
      v = (b[0] as number) | ((b[1] as number) << 8);
      if (v < 0xfd) throw new P2pDecodeError(`${this.what}: ${field} is not canonically encoded`);
    } else if (first === 0xfe) {
      v = this.u32le(field);
      if (v < 0x10000) throw new P2pDecodeError(`${this.what}: ${field} is not canonically encoded`);
    } else {
      const big = this.u64le(field);
      if (big < 0x100000000n) throw new P2pDecodeError(`${this.what}: ${field} is not canonically encoded`);
      throw new P2pDecodeError(`${this.what}: ${field} of ${big} exceeds ${max}`);
    }
    if (v > max) throw new P2pDecodeError(`${this.what}: ${field} of ${v} exceeds ${max}`);
    return v;
  }

  /** A CompactSize-prefixed string, at most `max` bytes, decoded as UTF-8 (lossy). */
  varString(field: string, max: number): string {
    const n = this.compactSize(`${field} length`, max);
    return Buffer.from(this.bytes(n, field)).toString("utf8");
  }
}

/** CompactSize encoding. */
export function compactSize(n: number): Buffer {
  if (n < 0xfd) return Buffer.of(n);
  if (n <= 0xffff) {
    const b = Buffer.alloc(3);
    b[0] = 0xfd;
    b.writeUInt16LE(n, 1);
    return b;
  }
  const b = Buffer.alloc(5);
  b[0] = 0xfe;
  b.writeUInt32LE(n, 1);
  return b;
}
