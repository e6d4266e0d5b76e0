// The binary recording format (`--events x.pwb`, `x.pwb.gz`; docs/replay.md "Binary recording").
//
//   file    = header record*            (a later header may follow at a record boundary: a run that
//                                        appended to the file, or a new gzip member)
//   header  = "PWB1" u8 formatVersion u8 eventModelVersion u16le nameBytes name(UTF-8)
//   record  = u32le bodyBytes u8 kind body
//   kind 1  = the events of one bus batch, as one MessagePack array (msgpackr with records: each
//             object shape's keys written once per record, so every record decodes on its own)
//
// Why msgpackr and not hand-written columns (measured on the pipeline's traffic, `npm run bench --
// pipeline`, docs/benchmarks.md): unpacking a batch takes ~0.5× the CPU of JSON.parse of the same
// lines, packing ~1× JSON.stringify but into one buffer per batch with no string per line; it keeps
// every event exactly (key order, numbers, nested payload decodes), so `peerwatch export` gives the
// line a live run wrote. A columnar record for runs of `net.message` would be a new kind.
//
// Reading is bounded and never throws: a record longer than MAX_RECORD_BYTES, an unknown kind or
// header, or a file that ends inside a record is reported with its byte offset; a record that does
// not decode is skipped; each decoded event is checked against the model (decodeEvent), as a line is.
import { Packr, RESERVE_START_SPACE, Unpackr } from "msgpackr";
import { decodeEvent, EVENT_MODEL_VERSION, formatDecodeError, type PeerwatchEvent } from "../../events/index.js";

export const PWB_MAGIC = Buffer.from("PWB1", "latin1");
export const PWB_FORMAT_VERSION = 1;
/** Record kinds. */
export const RECORD_EVENTS = 1;
/** Largest record body accepted (and written: a bigger batch is split): a full 4 MB payload as hex is ~9 MiB. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;
/** Largest node name in a header. */
export const MAX_NODE_NAME_BYTES = 1024;
const HEADER_FIXED = 8;
const FRAME_HEAD = 5;

/** A file name that asks for the binary form: `.pwb`, or `.pwb.gz`. */
export function isBinaryName(file: string): boolean {
  return /\.pwb(\.gz)?$/.test(file);
}

export function encodeHeader(nodeName: string): Buffer {
  let name = Buffer.from(nodeName, "utf8");
  if (name.length > MAX_NODE_NAME_BYTES) name = name.subarray(0, MAX_NODE_NAME_BYTES);
  const h = Buffer.alloc(HEADER_FIXED + name.length);
  PWB_MAGIC.copy(h, 0);
  h[4] = PWB_FORMAT_VERSION;
  h[5] = EVENT_MODEL_VERSION;
  h.writeUInt16LE(name.length, 6);
  name.copy(h, HEADER_FIXED);
  return h;
}

/** True when a (decompressed) file starts like a binary recording. */
export function startsBinary(b: Buffer): boolean {
  return b.length >= 4 && b[0] === PWB_MAGIC[0] && b[1] === PWB_MAGIC[1] && b[2] === PWB_MAGIC[2] && b[3] === PWB_MAGIC[3];
}

/** Packs events into records; a batch too big for one record is split, an event that cannot be packed is handed back. */
export class RecordEncoder {
  private readonly packr = new Packr({ useRecords: true });

  /** The records of `events` (frame included), and the events that could not be packed alone. */
  encode(events: readonly PeerwatchEvent[], out: Buffer[]): PeerwatchEvent[] {
    const failed: PeerwatchEvent[] = [];
    this.encodeInto(events, out, failed);
    return failed;
  }

  private encodeInto(events: readonly PeerwatchEvent[], out: Buffer[], failed: PeerwatchEvent[]): void {
    let rec: Buffer | undefined;
    try {
      // Packed after room for the frame head, which is then filled in: no copy of the body. (The
      // buffer is msgpackr's, handed out once: later packs go on after it, they do not reuse it.)
      rec = this.packr.pack(events, RESERVE_START_SPACE | FRAME_HEAD);
    } catch {
      rec = undefined; // one event in it cannot be packed: found below, one at a time
    }
    if (rec && rec.length - FRAME_HEAD <= MAX_RECORD_BYTES) {
      rec.writeUInt32LE(rec.length - FRAME_HEAD, 0);
      rec[4] = RECORD_EVENTS;
      out.push(rec);
      return;
    }
    if (events.length === 1) {
      failed.push(events[0]!);
      return;
    }
    const half = events.length >> 1;
    this.encodeInto(events.slice(0, half), out, failed);
    this.encodeInto(events.slice(half), out, failed);
  }
}

export type RecordItem =
  | { kind: "event"; value: PeerwatchEvent }
  /** A record or an event in one that is not valid: skipped, the reading goes on. */
  | { kind: "bad"; record: number; offset: number; reason: string }
  /** The rest of the file cannot be read (ends inside a record, a length over the limit, an unknown header or kind). */
  | { kind: "truncated"; record: number; offset: number; reason: string };

/** Only data JSON has: a Date, typed array, Map or Set would pass the model's object checks but not encode as the same JSON. */
function isPlainTree(v: unknown, depth: number): boolean {
  if (typeof v !== "object" || v === null) return true;
  if (depth > 64) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!isPlainTree(v[i], depth + 1)) return false;
    return true;
  }
  if (Object.getPrototypeOf(v) !== Object.prototype) return false;
  for (const k in v) if (!isPlainTree((v as Record<string, unknown>)[k], depth + 1)) return false;
  return true;
}

/**
 * Reads records from the chunks of a (decompressed) binary recording, incrementally. `push` each
 * chunk, then `end`; each returns the items found. Holds at most one record's bytes.
 */
export class RecordReader {
  private readonly unpackr = new Unpackr({ useRecords: true });
  private parts: Buffer[] = [];
  private held = 0;
  /** Byte offset (in the decompressed stream) of the first held byte. */
  private offset = 0;
  private records = 0;
  private stopped = false;
  /** Records read so far. */
  get recordsRead(): number {
    return this.records;
  }
  /** Node name of the last header read. */
  node: string | undefined;

  push(chunk: Buffer, out: RecordItem[]): void {
    if (this.stopped) return;
    this.parts.push(chunk);
    this.held += chunk.length;
    if (this.held < this.need()) return;
    const buf = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.held);
    let at = 0;
    for (;;) {
      const n = this.step(buf, at, out);
      if (this.stopped) return;
      if (n === 0) break;
      at += n;
    }
    this.offset += at;
    const rest = buf.subarray(at);
    this.parts = rest.length > 0 ? [rest] : [];
    this.held = rest.length;
  }

  end(out: RecordItem[]): void {
    if (this.stopped || this.held === 0) return;
    this.stop(out, this.offset, `the file ends inside a ${this.atHeader() ? "header" : "record"} (truncated: ${this.held} bytes left over)`);
  }

  /** Bytes needed before the next step can run (a guess from what is held: frame head, or the whole record). */
  private need(): number {
    if (this.held < FRAME_HEAD) return FRAME_HEAD;
    const first = this.parts[0]!;
    const head = first.length >= HEADER_FIXED ? first : Buffer.concat(this.parts, this.held);
    if (startsBinary(head)) return head.length >= HEADER_FIXED ? HEADER_FIXED + head.readUInt16LE(6) : HEADER_FIXED;
    const len = head.readUInt32LE(0);
    return len > MAX_RECORD_BYTES ? FRAME_HEAD : FRAME_HEAD + len;
  }

  private atHeader(): boolean {
    const first = this.parts[0];
    return first !== undefined && first.length >= 4 && startsBinary(first);
  }

  private stop(out: RecordItem[], offset: number, reason: string): void {
    out.push({ kind: "truncated", record: this.records + 1, offset, reason });
    this.stopped = true;
    this.parts = [];
    this.held = 0;
  }

  /** Reads one header or record at `at`; the bytes it took, or 0 when more are needed. */
  private step(buf: Buffer, at: number, out: RecordItem[]): number {
    const left = buf.length - at;
    if (left < FRAME_HEAD) return 0;
    const place = this.offset + at;
    if (this.records === 0 && this.node === undefined && !startsBinary(buf.subarray(at, at + 4))) {
      this.stop(out, place, "not a binary recording (no PWB1 header)");
      return 0;
    }
    if (startsBinary(buf.subarray(at, at + 4))) {
      if (left < HEADER_FIXED) return 0;
      const nameBytes = buf.readUInt16LE(at + 6);
      if (left < HEADER_FIXED + nameBytes) return 0;
      const format = buf[at + 4]!;
      const model = buf[at + 5]!;
      if (format !== PWB_FORMAT_VERSION || model !== EVENT_MODEL_VERSION || nameBytes > MAX_NODE_NAME_BYTES) {
        this.stop(
          out,
          place,
          format !== PWB_FORMAT_VERSION
            ? `header at byte ${place}: format version ${format} is not supported (this peerwatch reads ${PWB_FORMAT_VERSION}); the rest of the file is not ` +
                `read`
            : model !== EVENT_MODEL_VERSION
              ? `header at byte ${place}: event model version ${model} is not supported (this peerwatch reads ${EVENT_MODEL_VERSION}); the rest of the file ` +
                `is not read`
              : `header at byte ${place}: a node name of ${nameBytes} bytes is longer than ${MAX_NODE_NAME_BYTES}; the rest of the file is not read`,
        );
        return 0;
      }
      this.node = buf.toString("utf8", at + HEADER_FIXED, at + HEADER_FIXED + nameBytes);
      return HEADER_FIXED + nameBytes;
    }
    const len = buf.readUInt32LE(at);
    const kind = buf[at + 4]!;
    if (len > MAX_RECORD_BYTES || kind !== RECORD_EVENTS) {
      this.stop(
        out,
        place,
        len > MAX_RECORD_BYTES
          ? `record at byte ${place} says it holds ${len} bytes, more than the limit of ${MAX_RECORD_BYTES}: the rest of the file is not read`
          : `record at byte ${place} is of unknown kind ${kind}: the rest of the file is not read`,
      );
      return 0;
    }
    if (left < FRAME_HEAD + len) return 0;
    this.records++;
    this.decodeRecord(buf.subarray(at + FRAME_HEAD, at + FRAME_HEAD + len), place, out);
    return FRAME_HEAD + len;
  }

  private decodeRecord(body: Buffer, place: number, out: RecordItem[]): void {
    const record = this.records;
    let value: unknown;
    try {
      value = this.unpackr.unpack(body);
    } catch (e) {
      out.push({ kind: "bad", record, offset: place, reason: `record does not decode: ${(e as Error).message.slice(0, 200)}` });
      return;
    }
    if (!Array.isArray(value)) {
      out.push({ kind: "bad", record, offset: place, reason: "record does not hold a list of events" });
      return;
    }
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (!isPlainTree(v, 0)) {
        out.push({ kind: "bad", record, offset: place, reason: `event ${i + 1} of the record holds a value JSON does not have` });
        continue;
      }
      const r = decodeEvent(v);
      if (r.ok) out.push({ kind: "event", value: r.value });
      else out.push({ kind: "bad", record, offset: place, reason: `event ${i + 1} of the record: ${formatDecodeError(r.error)}` });
    }
  }
}
