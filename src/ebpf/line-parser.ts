// Parses the lines of the program in program.ts into events, field by field as the rows of
// RECORDS (records.ts) say. Untrusted in the sense that matters: bpftrace may cut a line, interleave
// its own messages, or print something unexpected; every line is checked field by field and a bad
// one comes back as a typed result, never an exception.
import { NETWORK_BY_NUMBER, type EventDataMap, type EventType } from "../events/index.js";
import { DECODED_TYPES, decodePayload } from "../codecs/p2p/payload-decoder.js";
import { ebpfCaptureBytes } from "./program.js";
import { RECORDS, RecordTableError, fieldCount, fieldIndex, minOf, type RecordField, type RecordKind } from "./records.js";

/** An event of one type with its data, as a union over the types (so `type` narrows `data`). */
export type ParsedEvent = { [T in EventType]: { kind: "event"; type: T; data: EventDataMap[T] } }[EventType];

export type ParsedLine =
  | ParsedEvent
  /** `saturated`: bpftrace printed a count past 2^53, kept as Number.MAX_SAFE_INTEGER. */
  | { kind: "lost"; count: number; saturated?: true }
  | { kind: "attaching"; probes: number }
  /** Printed by the program's BEGIN probe: every probe is attached. */
  | { kind: "ready" }
  /** A record of ours that does not parse: an event lost. */
  | { kind: "invalid"; why: string }
  /** Not one of our records (bpftrace's own output): counted, not an event. */
  | { kind: "unexpected" };

/** Longest line accepted: a message record with a 128-byte payload is under 1,100 characters. */
export const MAX_LINE = 4096;

/** A field that does not parse: the record becomes `invalid`, with this as its reason. */
class BadField extends Error {
  override name = "BadField";
}

/** Value of a lower-case hex digit's byte, or -1 (any other byte, including ≥ 0x80). */
const HEX = new Int16Array(256).fill(-1);
for (let i = 0; i < 16; i++) HEX["0123456789abcdef".charCodeAt(i)] = i;

// Fields are copied into this scratch as UTF-8 (a native copy) and read as bytes: 2.7× faster than
// charCodeAt on the string (bench/). A non-ASCII character shows as bytes ≥ 0x80 or a length
// mismatch, so it is rejected, never mistaken for a digit.
const textEncoder = new TextEncoder();
const scratch = new Uint8Array(MAX_LINE);

/** `\x41\x42…` → bytes (fields read on a cache miss, or rarely: the hot fields go through rxHex). */
export function rxBytes(field: string | undefined, maxBytes: number, name: string): Buffer {
  return Buffer.from(rxHex(field, maxBytes, name), "hex");
}

/** Scratch for one payload: its hex text, filled by `rxHex` (read before the next call). */
const hexScratch = Buffer.allocUnsafe(MAX_LINE >> 1);

/**
 * `\x41\x42…` → the hex text "4142" in one pass, without the bytes in between: the hex digits are
 * already in the field. This is the hot path of the eBPF source (see bench/): the payload's bytes
 * come from the text only for the few message types that are decoded.
 */
export function rxHex(field: string | undefined, maxBytes: number, name: string, reversed = false): string {
  if (field === undefined) throw new BadField(`missing ${name}`);
  const n = field.length >> 2;
  if (field.length % 4 !== 0 || n > maxBytes) throw new BadField(`${name} is not a \\xNN buffer of at most ${maxBytes} bytes`);
  const { read, written } = textEncoder.encodeInto(field, scratch);
  if (read !== field.length || written !== field.length) throw new BadField(`${name} is not a \\xNN buffer of at most ${maxBytes} bytes`);
  for (let i = 0, j = 0; i < n; i++, j += 4) {
    const hi = scratch[j + 2]!;
    const lo = scratch[j + 3]!;
    if (scratch[j] !== 92 /* \\ */ || scratch[j + 1] !== 120 /* x */ || (HEX[hi]! | HEX[lo]!) < 0) {
      throw new BadField(`${name} is not a \\xNN buffer of at most ${maxBytes} bytes`);
    }
    const at = reversed ? 2 * (n - 1 - i) : 2 * i; // reversed: a hash in display order
    hexScratch[at] = hi;
    hexScratch[at + 1] = lo;
  }
  return hexScratch.toString("latin1", 0, 2 * n);
}

/**
 * A C string read as a fixed buffer: up to the first NUL, as UTF-8. Addresses, connection and
 * message types repeat from line to line, so each field keeps the last few thousand it decoded, by
 * their exact text (which passed the same checks); the cache is emptied when full, so a flood of
 * new addresses costs a decode each, never memory.
 */
class CStringField {
  private readonly seen = new Map<string, string>();
  constructor(
    private readonly maxBytes: number,
    private readonly name: string,
    private readonly maxEntries = 4096,
  ) {}

  read(field: string | undefined): string {
    if (field === undefined) throw new BadField(`missing ${this.name}`);
    return this.readAt(field, 0, field.length);
  }

  /** The field `line[start, end)`. */
  readAt(line: string, start: number, end: number): string {
    // Only the text before the first NUL is the string; it is also the cache key, a quarter of
    // the whole fixed buffer to hash. What follows the NUL is ignored, as C does (the node's
    // memory after the terminator), once the field's length is right.
    const len = end - start;
    const nul = line.indexOf("\\x00", start);
    if (nul !== -1 && nul < end && ((nul - start) & 3) === 0 && (len & 3) === 0 && len <= this.maxBytes * 4) {
      return this.lookup(nul === start ? "" : line.slice(start, nul));
    }
    return this.lookup(start === 0 && end === line.length ? line : line.slice(start, end));
  }

  private lookup(text: string): string {
    const hit = this.seen.get(text);
    if (hit !== undefined) return hit;
    const b = rxBytes(text, this.maxBytes, this.name);
    const nul = b.indexOf(0);
    const s = b.subarray(0, nul === -1 ? b.length : nul).toString("utf8");
    if (this.seen.size >= this.maxEntries) this.seen.clear();
    this.seen.set(text, s);
    return s;
  }
}

/** The cache of each field that repeats (by name: the rows of one code share it); addresses are many more. */
const repeating = new Map<string, CStringField>();
for (const r of RECORDS) {
  for (const f of r.fields) {
    if (f.repeats && !repeating.has(f.name)) repeating.set(f.name, new CStringField(f.bytes!, f.label, f.name === "addr" ? 4096 : 256));
  }
}
const addrField = repeating.get("addr")!;
const connTypeField = repeating.get("connType")!;
const msgTypeField = repeating.get("msgType")!;

interface PeerFields {
  addrRaw: string;
  connRaw: string;
  addr: string;
  connType: string;
}

/**
 * A peer's address and connection type by peer id: they do not change during a connection, and
 * comparing the raw fields with the last ones seen for the id (a memory compare) costs less than
 * hashing them for the field caches. Bounded like those: emptied when full.
 */
class PeerFieldCache {
  private readonly byPeer = new Map<number, PeerFields>();
  constructor(private readonly maxEntries = 4096) {}

  /**
   * The decoded address (`line[a0, a1)`) and connection type (`line[c0, c1)`) of a peer; the object
   * is the cache's own (read it, do not keep it).
   */
  readAt(peerId: number, line: string, a0: number, a1: number, c0: number, c1: number): PeerFields {
    const hit = this.byPeer.get(peerId);
    // slice + === (a view and a memory compare), not startsWith(x, pos), which V8 runs slowly on a
    // line that is itself a slice of the read chunk (as readline's lines are).
    const addrRaw = line.slice(a0, a1);
    const connRaw = line.slice(c0, c1);
    if (hit !== undefined && hit.addrRaw === addrRaw && hit.connRaw === connRaw) return hit;
    const fields = { addrRaw, connRaw, addr: addrField.readAt(line, a0, a1), connType: connTypeField.readAt(line, c0, c1) };
    if (this.byPeer.size >= this.maxEntries) this.byPeer.clear();
    this.byPeer.set(peerId, fields);
    return fields;
  }
}

const peerFields = new PeerFieldCache();

/** A C string read as a fixed buffer: up to the first NUL, as UTF-8 (fields that rarely repeat). */
function cString(field: string | undefined, maxBytes: number, name: string): string {
  const b = rxBytes(field, maxBytes, name);
  const nul = b.indexOf(0);
  return b.subarray(0, nul === -1 ? b.length : nul).toString("utf8");
}

/** A 32-byte hash in internal order → display hex (byte order reversed, as Bitcoin shows hashes). */
function hash(field: string | undefined, name: string): string {
  const hex = rxHex(field, 32, name, true);
  if (hex.length !== 64) throw new BadField(`${name} is ${hex.length >> 1} bytes, not 32`);
  return hex;
}

/** The integer in `line[start, end)`. */
function intAt(line: string, start: number, end: number, name: string, min = Number.MIN_SAFE_INTEGER): number {
  // Digits read by hand (no regex, no Number(), no substring): every record has several of these.
  const neg = end > start && line.charCodeAt(start) === 45; /* - */
  const first = neg ? start + 1 : start;
  if (end - first < 1 || end - first > 20) throw new BadField(`${name} is not an integer`);
  let n = 0;
  for (let k = first; k < end; k++) {
    const d = line.charCodeAt(k) - 48;
    if (d < 0 || d > 9) throw new BadField(`${name} is not an integer`);
    n = n * 10 + d; // exact up to 2^53; anything past that is refused just below
  }
  if (neg) n = -n;
  if (!Number.isSafeInteger(n) || n < min) throw new BadField(`${name} ${line.slice(start, end)} out of range`);
  return n;
}

function fieldsOf(f: string[], n: number, what: string): void {
  if (f.length !== n) throw new BadField(`${what} record has ${f.length} fields, expected ${n} (cut line?)`);
}

/** fieldsOf for the records read in place: the fields' positions in `starts`/`ends`. */
function scannedFieldsOf(line: string, n: number, what: string): void {
  if (scanFields(line, n) !== n) fieldsOf(line.split("\t"), n, what); // counted exactly only to say so
}

function network(n: number) {
  const name = NETWORK_BY_NUMBER[n];
  if (name === undefined) throw new BadField(`unknown network ${n}`);
  return name;
}

export function parseLine(line: string, payloadBytes: number): ParsedLine {
  if (line.length > MAX_LINE) return { kind: "invalid", why: `line of ${line.length} characters` };
  // Our records start with one letter and a tab; only other lines can be bpftrace's own.
  if (line.charCodeAt(1) !== 9 /* \t */) return parseOther(line);
  return parseRecord(line, payloadBytes);
}

function parseOther(line: string): ParsedLine {
  const lost = /^Lost (\d+) events$/.exec(line);
  if (lost) {
    // A count past 2^53 would lose digits and then fail the events.dropped schema: saturate, say so.
    const count = Number(lost[1]);
    return Number.isSafeInteger(count) ? { kind: "lost", count } : { kind: "lost", count: Number.MAX_SAFE_INTEGER, saturated: true };
  }
  const attaching = /^Attaching (\d+) probes?\.\.\.$/.exec(line);
  if (attaching) return { kind: "attaching", probes: Number(attaching[1]) };
  if (line === "READY") return { kind: "ready" };
  return { kind: "unexpected" };
}

/** Where the fields of the record being read in place start and end (up to 8 fields; one more marks too many). */
const starts = new Int32Array(9);
const ends = new Int32Array(9);

/** Finds the tab-separated fields of `line` without making strings; returns how many (at most `max` + 1). */
function scanFields(line: string, max: number): number {
  let n = 0;
  for (let start = 0; ; ) {
    const tab = line.indexOf("\t", start);
    starts[n] = start;
    ends[n] = tab === -1 ? line.length : tab;
    n++;
    if (tab === -1 || n > max) return n;
    start = tab + 1;
  }
}

/** The rows of each code, and what its lines share: the record's name and field count. */
interface CodeRows {
  what: string;
  rows: readonly RecordKind[];
  /** The row of each tag, or the one row of a code without tags. */
  byTag: ReadonlyMap<string, RecordKind> | undefined;
  single: RecordKind | undefined;
}
const byCode = new Map<string, CodeRows>();
for (const r of RECORDS) {
  const c = byCode.get(r.code) ?? { what: r.what, rows: [], byTag: r.tag === undefined ? undefined : new Map(), single: r.tag === undefined ? r : undefined };
  (c.rows as RecordKind[]).push(r);
  if (r.tag !== undefined) (c.byTag as Map<string, RecordKind>).set(r.tag, r);
  byCode.set(r.code, c);
}
for (const [code, c] of byCode) {
  // One count and one name per code: the line's length is checked before its tag is read.
  if (new Set(c.rows.map((r) => `${r.what} ${fieldCount(r, 0)} ${fieldCount(r, 1)}`)).size !== 1) throw new RecordTableError(`records ${code}: rows disagree`);
  if (code.length !== 1 || starts.length < fieldCount(c.rows[0]!, 1) + 1) throw new RecordTableError(`records ${code}: not one letter, or too many fields`);
}

/** A message record's fields, where its rows (one per direction) have them. */
const messageRows = byCode.get("M")!;
const messageRow = messageRows.rows[0]!;
for (const r of messageRows.rows) {
  if (r.fields.map((f) => f.name).join() !== messageRow.fields.map((f) => f.name).join()) throw new RecordTableError("records M: rows disagree");
}
const M_CODE = messageRow.code.charCodeAt(0);
const M_PEER = fieldIndex(messageRow, "peerId");
const M_ADDR = fieldIndex(messageRow, "addr");
const M_CONN = fieldIndex(messageRow, "connType");
const M_TYPE = fieldIndex(messageRow, "msgType");
const M_SIZE = fieldIndex(messageRow, "size");
const M_PAYLOAD = fieldIndex(messageRow, "payloadHex");
const fieldNamed = (name: string) => messageRow.fields.find((f) => f.name === name)!;
const peerIdField = fieldNamed("peerId");
const sizeField = fieldNamed("size");
const payloadField = fieldNamed("payloadHex");
/** The direction each tag (one character) stands for, by its character code. */
const directionByTag = new Map<number, "in" | "out">();
for (const r of messageRows.rows) {
  const d = r.fixed?.direction;
  if (r.tag?.length !== 1 || (d !== "in" && d !== "out")) throw new RecordTableError("records M: a tag is not one letter for in or out");
  directionByTag.set(r.tag.charCodeAt(0), d);
}
const directionError = `direction is not ${messageRows.rows.map((r) => r.tag).join(" or ")}`;

/**
 * A message record, the one a flood consists of: read in place, by field positions, instead of
 * splitting the line into strings (the split was a quarter of the parse).
 */
function parseMessage(line: string, payloadBytes: number): ParsedLine {
  scannedFieldsOf(line, fieldCount(messageRow, payloadBytes), messageRows.what);
  const direction = ends[1]! - starts[1]! === 1 ? directionByTag.get(line.charCodeAt(starts[1]!)) : undefined;
  if (direction === undefined) throw new BadField(directionError);
  const msgType = msgTypeField.readAt(line, starts[M_TYPE]!, ends[M_TYPE]!);
  const size = intAt(line, starts[M_SIZE]!, ends[M_SIZE]!, sizeField.label, minOf(sizeField));
  const peerId = intAt(line, starts[M_PEER]!, ends[M_PEER]!, peerIdField.label, minOf(peerIdField));
  const { addr, connType } = peerFields.readAt(peerId, line, starts[M_ADDR]!, ends[M_ADDR]!, starts[M_CONN]!, ends[M_CONN]!);
  if (payloadBytes === 0) return { kind: "event", type: "net.message", data: { peerId, addr, connType, direction, msgType, size } };
  const payloadHex = rxHex(line.slice(starts[M_PAYLOAD]!, ends[M_PAYLOAD]!), ebpfCaptureBytes(msgType, payloadBytes), payloadField.label);
  const kept = payloadHex.length >> 1;
  if (kept > size) throw new BadField(`payload of ${kept} bytes for a ${size}-byte message`);
  const decoded = DECODED_TYPES.has(msgType) ? decodePayload(msgType, Buffer.from(payloadHex, "hex")) : undefined;
  const truncated = kept < size;
  // Object literals of fixed shape, no spreads: the event stays a fast object for every tool.
  const data = decoded
    ? { peerId, addr, connType, direction, msgType, size, payloadHex, truncated, decoded }
    : { peerId, addr, connType, direction, msgType, size, payloadHex, truncated };
  return { kind: "event", type: "net.message", data };
}

/** The value of field `f` of the record being read in place, at `line[start, end)`. */
function readField(line: string, f: RecordField, start: number, end: number): unknown {
  switch (f.type) {
    case "int64":
    case "uint64":
    case "int32":
    case "uint32":
      return intAt(line, start, end, f.label, minOf(f));
    case "bool":
      return intAt(line, start, end, f.label, 0) !== 0;
    case "network":
      return network(intAt(line, start, end, f.label, 0));
    case "cstring":
      return f.repeats ? repeating.get(f.name)!.readAt(line, start, end) : cString(line.slice(start, end), f.bytes!, f.label);
    case "hash":
      return hash(line.slice(start, end), f.label);
    case "payload":
      throw new BadField(`${f.label} is read by the message parser only`);
  }
}

/**
 * Any other record, read in place by its row: the tag's fields first, then one per field in the
 * row's order, then `null` for what bpftrace cannot read (the event's key order is the row's).
 */
function parseRow(line: string, c: CodeRows): ParsedLine {
  scannedFieldsOf(line, fieldCount(c.rows[0]!, 0), c.what);
  let r = c.single;
  if (r === undefined) {
    const tag = line.slice(starts[1]!, ends[1]!);
    r = c.byTag!.get(tag);
    if (r === undefined) throw new BadField(`unknown ${c.what} kind ${tag}`);
  }
  const data: Record<string, unknown> = {};
  if (r.fixed) for (const k in r.fixed) data[k] = r.fixed[k];
  const first = r.tag === undefined ? 1 : 2;
  for (let i = 0; i < r.fields.length; i++) data[r.fields[i]!.name] = readField(line, r.fields[i]!, starts[first + i]!, ends[first + i]!);
  if (r.unread) for (const k of r.unread) data[k] = null;
  // The row's field names are checked against its event type (records.ts); its values by
  // test/ebpf/records.test.ts, which parses a line of every row and validates the event.
  return { kind: "event", type: r.event, data } as ParsedEvent;
}

function parseRecord(line: string, payloadBytes: number): ParsedLine {
  try {
    // Messages, the records that come in floods, have a reader of their own.
    if (line.charCodeAt(0) === M_CODE) return parseMessage(line, payloadBytes);
    const c = byCode.get(line[0]!);
    return c === undefined ? { kind: "unexpected" } : parseRow(line, c);
  } catch (e) {
    // Our records start with one letter and a tab (parseLine checked): line[0] names the record.
    if (e instanceof BadField) return { kind: "invalid", why: `${line[0]} record: ${e.message}` };
    throw e;
  }
}
