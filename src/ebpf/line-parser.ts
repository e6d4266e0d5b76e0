// Parses the lines of the program in program.ts into events. Untrusted in the sense that matters:
// bpftrace may cut a line, interleave its own messages, or print something unexpected; every line
// is checked field by field and a bad one comes back as a typed result, never an exception.
import { NETWORK_BY_NUMBER, type EventDataMap, type EventType } from "../events/index.js";
import { DECODED_TYPES, decodePayload } from "../codecs/p2p/payload-decoder.js";
import { ADDR_BYTES, SHORT_BYTES, ebpfCaptureBytes } from "./program.js";

export type ParsedLine =
  | { kind: "event"; type: EventType; data: EventDataMap[EventType] }
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

class BadField extends Error {}

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

const addrField = new CStringField(ADDR_BYTES, "addr");
const connTypeField = new CStringField(SHORT_BYTES, "conn type", 256);
const msgTypeField = new CStringField(SHORT_BYTES, "msg type", 256);

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

function int(field: string | undefined, name: string, min = Number.MIN_SAFE_INTEGER): number {
  if (field === undefined) throw new BadField(`${name} is not an integer`);
  return intAt(field, 0, field.length, name, min);
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

/**
 * A message record, the one a flood consists of: read in place, by field positions, instead of
 * splitting the line into strings (the split was a quarter of the parse).
 */
function parseMessage(line: string, payloadBytes: number): ParsedLine {
  const want = payloadBytes > 0 ? 8 : 7;
  scannedFieldsOf(line, want, "message");
  const dir = ends[1]! - starts[1]! === 1 ? line.charCodeAt(starts[1]!) : 0;
  if (dir !== 105 /* i */ && dir !== 111 /* o */) throw new BadField("direction is not i or o");
  const msgType = msgTypeField.readAt(line, starts[5]!, ends[5]!);
  const size = intAt(line, starts[6]!, ends[6]!, "size", 0);
  const peerId = intAt(line, starts[2]!, ends[2]!, "peer id", 0);
  const { addr, connType } = peerFields.readAt(peerId, line, starts[3]!, ends[3]!, starts[4]!, ends[4]!);
  const direction = dir === 105 ? ("in" as const) : ("out" as const);
  if (payloadBytes === 0) return { kind: "event", type: "net.message", data: { peerId, addr, connType, direction, msgType, size } };
  const payloadHex = rxHex(line.slice(starts[7]!, ends[7]!), ebpfCaptureBytes(msgType, payloadBytes), "payload");
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

/** A block record (many of them in a row during initial block download): read in place as well. */
function parseBlock(line: string): ParsedLine {
  scannedFieldsOf(line, 7, "block connected");
  return {
    kind: "event",
    type: "block.connected",
    data: {
      hash: hash(line.slice(starts[1]!, ends[1]!), "hash"),
      height: intAt(line, starts[2]!, ends[2]!, "height", 0),
      txs: intAt(line, starts[3]!, ends[3]!, "txs", 0),
      inputs: intAt(line, starts[4]!, ends[4]!, "inputs", 0),
      sigops: intAt(line, starts[5]!, ends[5]!, "sigops", 0),
      connectNs: intAt(line, starts[6]!, ends[6]!, "connect ns", 0),
    },
  };
}

function parseRecord(line: string, payloadBytes: number): ParsedLine {
  try {
    // The records that come in floods are read in place; the others are split into fields.
    const kind = line.charCodeAt(0);
    if (kind === 77 /* M */) return parseMessage(line, payloadBytes);
    if (kind === 66 /* B */) return parseBlock(line);
    return parseSplit(line.split("\t"));
  } catch (e) {
    // Our records start with one letter and a tab (parseLine checked): line[0] names the record.
    if (e instanceof BadField) return { kind: "invalid", why: `${line[0]} record: ${e.message}` };
    throw e;
  }
}

function parseSplit(f: string[]): ParsedLine {
  switch (f[0]) {
    case "C": {
      fieldsOf(f, 7, "connection");
      const kind = f[1];
      if (kind !== "inbound" && kind !== "outbound" && kind !== "closed" && kind !== "evicted") throw new BadField(`unknown connection kind ${kind}`);
      const n = int(f[6], kind === "closed" || kind === "evicted" ? "connected-at" : "existing", 0);
      return {
        kind: "event",
        type: "net.connection",
        data: {
          kind,
          peerId: int(f[2], "peer id", 0),
          addr: addrField.read(f[3]),
          connType: connTypeField.read(f[4]),
          network: network(int(f[5], "network", 0)),
          ...(kind === "closed" || kind === "evicted" ? { connectedAt: n } : { existing: n }),
        },
      };
    }
    case "X":
      fieldsOf(f, 3, "misbehaving");
      return { kind: "event", type: "net.connection", data: { kind: "misbehaving", peerId: int(f[1], "peer id", 0), reason: cString(f[2], 128, "reason").slice(0, 256) } };
    case "A":
      fieldsOf(f, 4, "mempool added");
      return { kind: "event", type: "mempool.added", data: { txid: hash(f[1], "txid"), vsize: int(f[2], "vsize", 0), fee: int(f[3], "fee") } };
    case "R":
      fieldsOf(f, 6, "mempool removed");
      return {
        kind: "event",
        type: "mempool.removed",
        data: { txid: hash(f[1], "txid"), reason: cString(f[2], 20, "reason"), vsize: int(f[3], "vsize", 0), fee: int(f[4], "fee"), entryTime: int(f[5], "entry time", 0) },
      };
    case "P":
      fieldsOf(f, 6, "mempool replaced");
      return {
        kind: "event",
        type: "mempool.replaced",
        data: {
          replacedTxid: hash(f[1], "replaced txid"),
          replacedVsize: int(f[2], "replaced vsize", 0),
          replacedFee: int(f[3], "replaced fee"),
          replacedEntryTime: int(f[4], "replaced entry time", 0),
          replacementTxid: hash(f[5], "replacement txid"),
          // arg5…arg7: beyond what bpftrace reads on x86_64
          replacementVsize: null,
          replacementFee: null,
          replacedByTransaction: null,
        },
      };
    case "J":
      fieldsOf(f, 3, "mempool rejected");
      return { kind: "event", type: "mempool.rejected", data: { txid: hash(f[1], "txid"), reason: cString(f[2], 128, "reason") } };
    case "U": {
      fieldsOf(f, 7, "utxocache");
      const type = f[1] === "a" ? "utxocache.add" : f[1] === "s" ? "utxocache.spent" : f[1] === "u" ? "utxocache.uncache" : undefined;
      if (!type) throw new BadField(`unknown utxocache kind ${f[1]}`);
      return {
        kind: "event",
        type,
        data: { txid: hash(f[2], "txid"), vout: int(f[3], "vout", 0), height: int(f[4], "height", 0), value: int(f[5], "value"), coinbase: int(f[6], "coinbase", 0) !== 0 },
      };
    }
    case "F":
      fieldsOf(f, 6, "utxocache flush");
      return {
        kind: "event",
        type: "utxocache.flush",
        data: { durationUs: int(f[1], "duration", 0), mode: int(f[2], "mode", 0), coins: int(f[3], "coins", 0), memoryBytes: int(f[4], "memory", 0), forPrune: int(f[5], "for prune", 0) !== 0 },
      };
    default:
      return { kind: "unexpected" };
  }
}
