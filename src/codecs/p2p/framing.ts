// P2P v1 message framing: magic (4), command (12, NUL-padded ASCII), payload length (u32 LE),
// checksum (first 4 bytes of double SHA-256 of the payload), payload. A bad magic, command,
// checksum or a length over the protocol maximum is a protocol violation: the decoder throws and
// the connection is closed; nothing is buffered beyond one maximum-size message.
import { createHash } from "node:crypto";
import { P2pDecodeError } from "./byte-reader.js";

/** A message peerwatch was asked to send that the protocol cannot carry. */
export class P2pEncodeError extends Error {
  override name = "P2pEncodeError";
}

export const HEADER_BYTES = 24;
/** Bitcoin Core's MAX_PROTOCOL_MESSAGE_LENGTH. */
export const MAX_PROTOCOL_MESSAGE_LENGTH = 4_000_000;

export interface P2pMessage {
  command: string;
  payload: Buffer;
}

export function sha256d(data: Uint8Array): Buffer {
  return createHash("sha256").update(createHash("sha256").update(data).digest()).digest();
}

export function checksum(payload: Uint8Array): Buffer {
  return sha256d(payload).subarray(0, 4);
}

export function encodeMessage(magic: Uint8Array, command: string, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  if (!/^[a-z0-9]{1,12}$/.test(command)) throw new P2pEncodeError(`bad command "${command}"`);
  const h = Buffer.alloc(HEADER_BYTES);
  Buffer.from(magic).copy(h, 0);
  h.write(command, 4, "ascii");
  h.writeUInt32LE(payload.length, 16);
  checksum(payload).copy(h, 20);
  return Buffer.concat([h, payload]);
}

/** Parses the 12-byte command: printable ASCII, then only NULs (as Bitcoin Core's IsCommandValid). */
function parseCommand(b: Buffer): string {
  let end = b.indexOf(0);
  if (end === -1) end = 12;
  for (let i = 0; i < end; i++) {
    const c = b[i] as number;
    if (c < 0x20 || c > 0x7e) throw new P2pDecodeError("command has a non-printable byte");
  }
  for (let i = end; i < 12; i++) if (b[i] !== 0) throw new P2pDecodeError("command has bytes after its NUL padding");
  if (end === 0) throw new P2pDecodeError("empty command");
  return b.toString("ascii", 0, end);
}

/**
 * Whole messages out of arbitrary chunks. Chunks are kept in a list and joined once, when a message
 * is complete: re-copying the buffer per chunk made a 4 MB message in 536-byte chunks take 4 s.
 */
export class P2pMessageDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** The header of the message being read, once its 24 bytes are here and valid. */
  private header: { command: string; length: number; checksum: Buffer } | undefined;
  private readonly magicBytes: Buffer;

  constructor(
    magic: Uint8Array,
    private readonly maxPayload = MAX_PROTOCOL_MESSAGE_LENGTH,
  ) {
    this.magicBytes = Buffer.from(magic);
  }

  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Feeds bytes; returns the whole messages they complete. Throws P2pDecodeError on a violation. */
  push(chunk: Buffer): P2pMessage[] {
    if (chunk.length) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const out: P2pMessage[] = [];
    for (;;) {
      if (!this.header) {
        if (this.buffered < HEADER_BYTES) break;
        this.header = this.readHeader(this.join(HEADER_BYTES));
      }
      const total = HEADER_BYTES + this.header.length;
      if (this.buffered < total) break;
      const all = this.join(total);
      const payload = Buffer.from(all.subarray(HEADER_BYTES, total));
      if (!checksum(payload).equals(this.header.checksum)) throw new P2pDecodeError(`${this.header.command}: bad checksum`);
      out.push({ command: this.header.command, payload });
      const rest = all.subarray(total);
      this.chunks = rest.length ? [rest] : [];
      this.buffered = rest.length;
      this.header = undefined;
    }
    return out;
  }

  /** The first chunk made at least `n` bytes long (joining only what is buffered, once). */
  private join(n: number): Buffer {
    const first = this.chunks[0] as Buffer;
    if (first.length >= n) return first;
    const all = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [all];
    return all;
  }

  private readHeader(b: Buffer): { command: string; length: number; checksum: Buffer } {
    if (!b.subarray(0, 4).equals(this.magicBytes)) {
      throw new P2pDecodeError(`bad magic ${b.subarray(0, 4).toString("hex")} (expected ${this.magicBytes.toString("hex")}: wrong --chain?)`);
    }
    const command = parseCommand(b.subarray(4, 16));
    const length = b.readUInt32LE(16);
    if (length > this.maxPayload) throw new P2pDecodeError(`${command} of ${length} bytes exceeds the protocol maximum of ${this.maxPayload}`);
    return { command, length, checksum: Buffer.from(b.subarray(20, 24)) };
  }
}
