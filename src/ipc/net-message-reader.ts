// Reads a batch of traced net messages straight from the Cap'n Proto segments. capnp-es builds a
// Pointer object per struct and per field and resolves far pointers generically on every access:
// ~15 µs per message, several times the whole budget of an event (bench ipc). A list of NetMessage
// is fixed-size elements (data words, then pointers); its texts are list pointers, near or (as
// libcapnp writes a big batch over several segments) far through a landing pad; both are read here
// with bounds checks. Anything else (a struct smaller than ours, an odd pointer) is read by capnp-es
// through netMessageFrom instead, so the result is always the same (test/ipc/net-message-reader.test.ts
// compares the two, on single- and multi-segment batches).
import * as $ from "capnp-es";
import { captureBytesFor } from "../codecs/p2p/options.js";
import { decodePayload } from "../codecs/p2p/payload-decoder.js";
import type { EventDataMap } from "../events/index.js";
import type { NetMessage } from "./generated/experimental/tracing_net.js";

/** A traced message whose fields cannot be read: the message is counted as bad, the batch goes on. */
export class TraceDecodeError extends Error {
  override name = "TraceDecodeError";
}

export type NetMessageData = EventDataMap["net.message"];

/** NetMessage's layout (capnp/experimental/tracing_net.capnp): 4 data words, 4 pointers. */
const DATA_BYTES = 32;
const POINTERS = 4;
const TWO_32 = 2 ** 32;

/** Thrown (one shared instance: no stack to capture) when capnp-es must read an element. */
const NEEDS_CAPNP_ES = new Error("needs capnp-es");

/** The bytes and a view of each segment of one message, made once per batch. */
class Segments {
  private readonly cache = new Map<number, { bytes: Buffer; view: DataView }>();
  constructor(private readonly message: $.Message) {}

  get(id: number): { bytes: Buffer; view: DataView } {
    let s = this.cache.get(id);
    if (s === undefined) {
      const seg = this.message.getSegment(id); // throws for an id the message does not have
      s = { bytes: Buffer.from(seg.buffer, 0, seg.byteLength), view: new DataView(seg.buffer, 0, seg.byteLength) };
      this.cache.set(id, s);
    }
    return s;
  }
}

/** Reads one NetMessage the generic way (capnp-es): the reference and the fallback. */
export type SlowRead = (m: NetMessage) => NetMessageData;

/** The node's timestamp of a message (µs), or NaN when it is beyond 2^53. */
export type TimestampUs = number;

/**
 * `maxPayloadBytes` is --payload-bytes: each message keeps captureBytesFor(its type) of it.
 * Calls `each` with the event data of the first `max` messages of the list (or `bad` with the
 * reason for one that is malformed); returns how many it looked at.
 */
export function readNetMessages(
  list: $.List<NetMessage>,
  max: number,
  maxPayloadBytes: number,
  slow: SlowRead,
  each: (d: NetMessageData, timestampUs: TimestampUs) => void,
  bad: (why: string) => void,
): number {
  const n = Math.min(list.length, max);
  if (n === 0) return 0;
  const content = $.utils.getContent(list);
  const size = $.utils.getTargetCompositeListSize(list);
  const segment = content.segment;
  const stride = size.dataByteLength + size.pointerLength * 8;
  const fits = size.dataByteLength >= DATA_BYTES && size.pointerLength >= POINTERS && content.byteOffset + n * stride <= segment.byteLength;
  const segments = new Segments(segment.message);
  const home = segments.get(segment.id);
  for (let i = 0; i < n; i++) {
    try {
      if (!fits) throw NEEDS_CAPNP_ES;
      const e = content.byteOffset + i * stride;
      const data = readOne(segments, home, e, size.dataByteLength, maxPayloadBytes);
      each(data, i64(home.view, e + 24));
    } catch (e) {
      if (e !== NEEDS_CAPNP_ES) {
        bad((e as Error).message);
        continue;
      }
      try {
        const m = list.get(i);
        each(slow(m), Number(m.timestampUs));
      } catch (e2) {
        bad((e2 as Error).message);
      }
    }
  }
  return n;
}

function u64(view: DataView, at: number, what: string): number {
  const lo = view.getUint32(at, true);
  const hi = view.getUint32(at + 4, true);
  if (hi >= 0x200000) throw new TraceDecodeError(`bad ${what} ${(BigInt(hi) << 32n) | BigInt(lo)}`); // beyond 2^53 or negative
  return hi * TWO_32 + lo;
}

/** A signed 64-bit integer as a number; NaN beyond ±2^53. */
function i64(view: DataView, at: number): number {
  const lo = view.getUint32(at, true);
  const hi = view.getInt32(at + 4, true);
  return hi >= -0x200000 && hi < 0x200000 ? hi * TWO_32 + lo : NaN;
}

interface Seg {
  bytes: Buffer;
  view: DataView;
}

/** Where bytesAt found the bytes: set by each call, read at once (no array made per field of every message). */
const found = { seg: undefined as unknown as Seg, start: 0, count: 0 };

/** The segment, start and length (in `found`) of the bytes a list-of-bytes pointer at `p` points at (length 0: null). */
function bytesAt(segments: Segments, seg: Seg, p: number): void {
  const w0 = seg.view.getUint32(p, true);
  let w1 = seg.view.getUint32(p + 4, true);
  found.seg = seg;
  found.start = 0;
  found.count = 0;
  if (w0 === 0 && w1 === 0) return;
  let start: number;
  if ((w0 & 3) === 1) {
    start = p + 8 + ((w0 | 0) >> 2) * 8;
  } else if ((w0 & 3) === 2) {
    // Far: the landing pad is in segment w1 at word w0 >>> 3.
    const padSeg = segments.get(w1);
    const pad = (w0 >>> 3) * 8;
    if (pad + ((w0 & 4) === 0 ? 8 : 16) > padSeg.bytes.length) throw new TraceDecodeError("a far pointer's landing pad is outside its segment");
    const p0 = padSeg.view.getUint32(pad, true);
    const p1 = padSeg.view.getUint32(pad + 4, true);
    if ((w0 & 4) === 0) {
      // Single far: the pad is a near list pointer, relative to the pad.
      if ((p0 & 3) !== 1) throw NEEDS_CAPNP_ES;
      seg = padSeg;
      start = pad + 8 + ((p0 | 0) >> 2) * 8;
      w1 = p1;
    } else {
      // Double far: a far pointer to the content's start, then a tag word saying what it is.
      if ((p0 & 7) !== 2) throw NEEDS_CAPNP_ES;
      const tag1 = padSeg.view.getUint32(pad + 12, true);
      if ((padSeg.view.getUint32(pad + 8, true) & 3) !== 1) throw NEEDS_CAPNP_ES;
      seg = segments.get(p1);
      start = (p0 >>> 3) * 8;
      w1 = tag1;
    }
  } else {
    throw NEEDS_CAPNP_ES;
  }
  if ((w1 & 7) !== 2) throw new TraceDecodeError("a text or data field is not a list of bytes");
  const count = w1 >>> 3;
  if (start < 0 || start + count > seg.bytes.length) throw new TraceDecodeError("a text or data field points outside its segment");
  found.seg = seg;
  found.start = start;
  found.count = count;
}

/** Longest text kept in the cache (addresses are ~15–60 bytes; types are shorter). */
const CACHED_TEXT_BYTES = 80;
/** Texts kept; the cache starts over when full (a node has at most a few hundred peers). */
const CACHED_TEXTS = 4096;

/**
 * The texts of a batch repeat (every message of a peer has its address and connection type, and
 * message types are few): each is kept by its bytes, found by a hash of them and checked byte by
 * byte, so a flood makes no string per field (a UTF-8 decode and a string each was ~10 % of the
 * IPC path, with the garbage collection they caused).
 */
class TextCache {
  private readonly byHash = new Map<number, { bytes: Buffer; text: string }>();

  get(buf: Buffer, start: number, end: number, max: number): string {
    const n = end - start;
    if (n > CACHED_TEXT_BYTES) return buf.toString("utf8", start, end).slice(0, max);
    let h = n;
    for (let i = start; i < end; i++) h = (Math.imul(h, 31) + buf[i]!) | 0;
    const hit = this.byHash.get(h);
    if (hit !== undefined && hit.bytes.length === n) {
      const b = hit.bytes;
      let i = 0;
      while (i < n && b[i] === buf[start + i]) i++;
      if (i === n) return hit.text.slice(0, max);
    }
    const text = buf.toString("utf8", start, end);
    if (this.byHash.size >= CACHED_TEXTS) this.byHash.clear();
    this.byHash.set(h, { bytes: Buffer.from(buf.subarray(start, end)), text });
    return text.slice(0, max);
  }
}

const texts = new TextCache();

function text(segments: Segments, seg: Seg, p: number, max: number): string {
  bytesAt(segments, seg, p);
  if (found.count === 0) return "";
  // Text ends with a NUL that is not part of it.
  return texts.get(found.seg.bytes, found.start, found.start + found.count - 1, max);
}

function readOne(segments: Segments, seg: Seg, e: number, dataBytes: number, maxPayloadBytes: number): NetMessageData {
  const ptr = e + dataBytes;
  const view = seg.view;
  const size = u64(view, e + 16, "message size");
  const peerId = u64(view, e + 8, "peer id");
  const addr = text(segments, seg, ptr, 256);
  const connType = text(segments, seg, ptr + 8, 32);
  const direction = (seg.bytes[e]! & 1) === 1 ? "in" : "out";
  const msgType = text(segments, seg, ptr + 16, 32);
  if (maxPayloadBytes === 0) return { peerId, addr, connType, direction, msgType, size };
  bytesAt(segments, seg, ptr + 24);
  // Never more than this type's capture, nor more than the message has (a node sending more is cut, not trusted).
  const kept = Math.min(found.count, captureBytesFor(msgType, maxPayloadBytes), size);
  const payload = found.seg.bytes.subarray(found.start, found.start + kept);
  const decoded = decodePayload(msgType, payload);
  // Fixed-shape literals, no spreads: the event stays a fast object for every tool.
  return decoded
    ? { peerId, addr, connType, direction, msgType, size, payloadHex: payload.toString("hex"), truncated: kept < size, decoded }
    : { peerId, addr, connType, direction, msgType, size, payloadHex: payload.toString("hex"), truncated: kept < size };
}
