// P2P v1 message framing: magic (4), command (12, NUL-padded ASCII), payload length (u32 LE),
// checksum (first 4 bytes of double SHA-256 of the payload), payload. A bad magic, command,
// checksum or a length over the protocol maximum is a protocol violation: the decoder throws and
// the connection is closed; nothing is buffered beyond one maximum-size message.
import { createHash } from "node:crypto";
import { P2pDecodeError } from "./byte-reader.js";

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
  if (!/^[a-z0-9]{1,12}$/.test(command)) throw new Error(`bad command "${command}"`);
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

export class P2pMessageDecoder {
  private buf: Buffer = Buffer.alloc(0);

  constructor(
    private readonly magic: Uint8Array,
    private readonly maxPayload = MAX_PROTOCOL_MESSAGE_LENGTH,
  ) {}

  get bufferedBytes(): number {
    return this.buf.length;
  }

  /** Feeds bytes; returns the whole messages they complete. Throws P2pDecodeError on a violation. */
  push(chunk: Buffer): P2pMessage[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: P2pMessage[] = [];
    while (this.buf.length >= HEADER_BYTES) {
      if (!this.buf.subarray(0, 4).equals(Buffer.from(this.magic))) {
        throw new P2pDecodeError(`bad magic ${this.buf.subarray(0, 4).toString("hex")} (expected ${Buffer.from(this.magic).toString("hex")}: wrong --chain?)`);
      }
      const command = parseCommand(this.buf.subarray(4, 16));
      const length = this.buf.readUInt32LE(16);
      if (length > this.maxPayload) throw new P2pDecodeError(`${command} of ${length} bytes exceeds the protocol maximum of ${this.maxPayload}`);
      if (this.buf.length < HEADER_BYTES + length) break;
      const payload = Buffer.from(this.buf.subarray(HEADER_BYTES, HEADER_BYTES + length));
      if (!checksum(payload).equals(this.buf.subarray(20, 24))) throw new P2pDecodeError(`${command}: bad checksum`);
      out.push({ command, payload });
      this.buf = this.buf.subarray(HEADER_BYTES + length);
    }
    if (this.buf.length === 0) this.buf = Buffer.alloc(0);
    return out;
  }
}
