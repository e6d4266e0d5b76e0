// The eBPF record format as data: one row per tracepoint, saying which line the bpftrace program
// prints for it (a one-letter code, a tag where several tracepoints share the code, then one field
// per argument read) and which event the line parser makes of it. program.ts generates each probe's
// printf from its row and line-parser.ts reads the fields by the same rows, so the two cannot
// disagree; test/ebpf/records.test.ts formats a line for every row and parses it back.
//
// Arguments and their sizes are Bitcoin Core's (doc/tracing.md). Every line is tab-separated; every
// string or byte buffer is printed with %rx (each byte as \xNN), so no address, reason or payload
// byte can break a line or a field.
import type { EventDataMap, EventType } from "../events/index.js";

export const TRACEPOINT_GROUPS = ["net", "connections", "mempool", "validation", "utxocache"] as const;
export type TracepointGroup = (typeof TRACEPOINT_GROUPS)[number];

/** Bytes read from each string argument: addr (Tor v3 62 + port), conn type and msg type (20), reasons. */
export const ADDR_BYTES = 68;
export const SHORT_BYTES = 20;
export const REASON_BYTES = 128;

/**
 * How a field is printed and read back.
 * - `int64`, `uint64`, `int32`, `uint32`: a decimal integer (%lld, %llu, %d, %u), read as a safe
 *   integer of at least `min`;
 * - `bool`: a uint8 printed as %u, read as `!== 0`;
 * - `network`: a uint32 network number, read as its getpeerinfo name;
 * - `cstring`: a char* copied as a `bytes`-byte buffer, read up to its first NUL as UTF-8;
 * - `hash`: 32 bytes in internal order, read as display hex (reversed);
 * - `payload`: a message's bytes (arg5), as many as the program captures for its type, read as hex.
 */
export type FieldType = "int64" | "uint64" | "int32" | "uint32" | "bool" | "network" | "cstring" | "hash" | "payload";

export type TracepointArg = 0 | 1 | 2 | 3 | 4 | 5;

/** A record table the program or the parser cannot work with (a programming error, found at load). */
export class RecordTableError extends Error {
  override name = "RecordTableError";
}

export interface RecordField {
  /** The event's data field it fills. */
  readonly name: string;
  /** Its name in the reasons of a record that does not parse. */
  readonly label: string;
  /** The tracepoint argument printed: bpftrace on x86_64 reads arg0…arg5 only. */
  readonly arg: TracepointArg;
  readonly type: FieldType;
  /** cstring: the buffer size read. */
  readonly bytes?: number;
  /** Integers: the least value accepted (unsigned types: 0). */
  readonly min?: number;
  /**
   * cstring: the value repeats from line to line (addresses, connection and message types), so it
   * is decoded once and kept, by its text up to the first NUL (what follows the NUL is not read).
   */
  readonly repeats?: true;
}

export interface RecordKind {
  /** The line's first field. */
  readonly code: string;
  /** The line's second field, where tracepoints share a code (the fields after it are the same). */
  readonly tag?: string;
  /** The record's name in the reasons of a line that does not parse. */
  readonly what: string;
  readonly tracepoint: string;
  readonly group: TracepointGroup;
  readonly event: EventType;
  /** Event fields the tag stands for, first in the event. */
  readonly fixed?: Readonly<Record<string, string>>;
  readonly fields: readonly RecordField[];
  /** Event fields bpftrace cannot read (arguments past arg5): `null` in the event. */
  readonly unread?: readonly string[];
}

/** A row as written below: its field names are checked against its event type's data. */
type Row<T extends EventType> = RecordKind & {
  readonly event: T;
  readonly fixed?: Partial<EventDataMap[T]>;
  readonly fields: readonly (RecordField & { readonly name: keyof EventDataMap[T] & string })[];
  readonly unread?: readonly (keyof EventDataMap[T] & string)[];
};

function row<T extends EventType>(r: Row<T>): RecordKind {
  return r;
}

const peerId = { name: "peerId", label: "peer id", arg: 0, type: "int64", min: 0 } as const;
const addr = { name: "addr", label: "addr", arg: 1, type: "cstring", bytes: ADDR_BYTES, repeats: true } as const;
const connType = { name: "connType", label: "conn type", arg: 2, type: "cstring", bytes: SHORT_BYTES, repeats: true } as const;

function message(tag: "i" | "o", tracepoint: string, direction: "in" | "out"): RecordKind {
  return row({
    code: "M",
    tag,
    what: "message",
    tracepoint,
    group: "net",
    event: "net.message",
    fixed: { direction },
    fields: [
      peerId,
      addr,
      connType,
      { name: "msgType", label: "msg type", arg: 3, type: "cstring", bytes: SHORT_BYTES, repeats: true },
      { name: "size", label: "size", arg: 4, type: "uint64" },
      // Printed only when payload bytes are captured; its bound is the type's capture size.
      { name: "payloadHex", label: "payload", arg: 5, type: "payload" },
    ],
  });
}

function connection(tag: "inbound" | "outbound" | "closed" | "evicted", tracepoint: string): RecordKind {
  const last =
    tag === "closed" || tag === "evicted"
      ? ({ name: "connectedAt", label: "connected-at", arg: 4, type: "uint64" } as const)
      : ({ name: "existing", label: "existing", arg: 4, type: "uint64" } as const);
  return row({
    code: "C",
    tag,
    what: "connection",
    tracepoint,
    group: "connections",
    event: "net.connection",
    fixed: { kind: tag },
    fields: [peerId, addr, connType, { name: "network", label: "network", arg: 3, type: "network" }, last],
  });
}

function utxo(tag: "a" | "s" | "u", tracepoint: string, event: "utxocache.add" | "utxocache.spent" | "utxocache.uncache"): RecordKind {
  return row({
    code: "U",
    tag,
    what: "utxocache",
    tracepoint,
    group: "utxocache",
    event,
    fields: [
      { name: "txid", label: "txid", arg: 0, type: "hash" },
      { name: "vout", label: "vout", arg: 1, type: "uint32" },
      { name: "height", label: "height", arg: 2, type: "uint32" },
      { name: "value", label: "value", arg: 3, type: "int64" },
      { name: "coinbase", label: "coinbase", arg: 4, type: "bool" },
    ],
  });
}

/** Every record kind, in the order the program's probes are printed. */
export const RECORDS: readonly RecordKind[] = [
  message("i", "net:inbound_message", "in"),
  message("o", "net:outbound_message", "out"),
  connection("inbound", "net:inbound_connection"),
  connection("outbound", "net:outbound_connection"),
  connection("closed", "net:closed_connection"),
  connection("evicted", "net:evicted_inbound_connection"),
  row({
    code: "X",
    what: "misbehaving",
    tracepoint: "net:misbehaving_connection",
    group: "connections",
    event: "net.connection",
    fixed: { kind: "misbehaving" },
    fields: [peerId, { name: "reason", label: "reason", arg: 1, type: "cstring", bytes: REASON_BYTES }],
  }),
  row({
    code: "A",
    what: "mempool added",
    tracepoint: "mempool:added",
    group: "mempool",
    event: "mempool.added",
    fields: [
      { name: "txid", label: "txid", arg: 0, type: "hash" },
      { name: "vsize", label: "vsize", arg: 1, type: "int32", min: 0 },
      { name: "fee", label: "fee", arg: 2, type: "int64" },
    ],
  }),
  row({
    code: "R",
    what: "mempool removed",
    tracepoint: "mempool:removed",
    group: "mempool",
    event: "mempool.removed",
    fields: [
      { name: "txid", label: "txid", arg: 0, type: "hash" },
      { name: "reason", label: "reason", arg: 1, type: "cstring", bytes: SHORT_BYTES },
      { name: "vsize", label: "vsize", arg: 2, type: "int32", min: 0 },
      { name: "fee", label: "fee", arg: 3, type: "int64" },
      { name: "entryTime", label: "entry time", arg: 4, type: "uint64" },
    ],
  }),
  row({
    code: "P",
    what: "mempool replaced",
    tracepoint: "mempool:replaced",
    group: "mempool",
    event: "mempool.replaced",
    fields: [
      { name: "replacedTxid", label: "replaced txid", arg: 0, type: "hash" },
      { name: "replacedVsize", label: "replaced vsize", arg: 1, type: "int32", min: 0 },
      { name: "replacedFee", label: "replaced fee", arg: 2, type: "int64" },
      { name: "replacedEntryTime", label: "replaced entry time", arg: 3, type: "uint64" },
      { name: "replacementTxid", label: "replacement txid", arg: 4, type: "hash" },
    ],
    // arg5…arg7: beyond what bpftrace reads on x86_64
    unread: ["replacementVsize", "replacementFee", "replacedByTransaction"],
  }),
  row({
    code: "J",
    what: "mempool rejected",
    tracepoint: "mempool:rejected",
    group: "mempool",
    event: "mempool.rejected",
    fields: [
      { name: "txid", label: "txid", arg: 0, type: "hash" },
      { name: "reason", label: "reason", arg: 1, type: "cstring", bytes: REASON_BYTES },
    ],
  }),
  row({
    code: "B",
    what: "block connected",
    tracepoint: "validation:block_connected",
    group: "validation",
    event: "block.connected",
    fields: [
      { name: "hash", label: "hash", arg: 0, type: "hash" },
      { name: "height", label: "height", arg: 1, type: "int32", min: 0 },
      { name: "txs", label: "txs", arg: 2, type: "uint64" },
      { name: "inputs", label: "inputs", arg: 3, type: "int32", min: 0 },
      { name: "sigops", label: "sigops", arg: 4, type: "uint64" },
      { name: "connectNs", label: "connect ns", arg: 5, type: "uint64" },
    ],
  }),
  utxo("a", "utxocache:add", "utxocache.add"),
  utxo("s", "utxocache:spent", "utxocache.spent"),
  utxo("u", "utxocache:uncache", "utxocache.uncache"),
  row({
    code: "F",
    what: "utxocache flush",
    tracepoint: "utxocache:flush",
    group: "utxocache",
    event: "utxocache.flush",
    fields: [
      { name: "durationUs", label: "duration", arg: 0, type: "int64", min: 0 },
      { name: "mode", label: "mode", arg: 1, type: "uint32" },
      { name: "coins", label: "coins", arg: 2, type: "uint64" },
      { name: "memoryBytes", label: "memory", arg: 3, type: "uint64" },
      { name: "forPrune", label: "for prune", arg: 4, type: "bool" },
    ],
  }),
];

/** The least value of an integer field (the parser's bound): its `min`, 0 for unsigned types, else none. */
export function minOf(f: RecordField): number {
  if (f.min !== undefined) return f.min;
  return f.type === "int64" || f.type === "int32" ? Number.MIN_SAFE_INTEGER : 0;
}

/** The records of one code (several where a tag tells tracepoints apart). */
export function recordsOf(code: string): readonly RecordKind[] {
  return RECORDS.filter((r) => r.code === code);
}

/** A field's position in its line (the code is 0, a tag 1). */
export function fieldIndex(r: RecordKind, name: string): number {
  const i = r.fields.findIndex((f) => f.name === name);
  if (i < 0) throw new RecordTableError(`record ${r.code} has no field ${name}`);
  return i + (r.tag === undefined ? 1 : 2);
}

/** How many tab-separated fields a line of this record has (a message's payload only when captured). */
export function fieldCount(r: RecordKind, payloadBytes: number): number {
  const printed = r.fields.filter((f) => f.type !== "payload" || payloadBytes > 0).length;
  return printed + (r.tag === undefined ? 1 : 2);
}

/** printf conversion and bpftrace expression of each field type (payload's is made by the program). */
const PRINTF: Record<Exclude<FieldType, "payload">, { fmt: string; expr: (arg: string, f: RecordField) => string }> = {
  int64: { fmt: "%lld", expr: (a) => a },
  uint64: { fmt: "%llu", expr: (a) => a },
  int32: { fmt: "%d", expr: (a) => `(int32)${a}` },
  uint32: { fmt: "%u", expr: (a) => `(uint32)${a}` },
  network: { fmt: "%u", expr: (a) => `(uint32)${a}` },
  bool: { fmt: "%u", expr: (a) => `(uint8)${a}` },
  cstring: { fmt: "%rx", expr: (a, f) => `buf(${a}, ${f.bytes})` },
  hash: { fmt: "%rx", expr: (a) => `buf(${a}, 32)` },
};

/**
 * The printf statement of a record: `printf("CODE\tTAG\t%…\n", args…)`. `payloadBytes`: the payload
 * buffer's bound (`$n`, capped at it by the probe), 0 for no payload field.
 */
export function printfOf(r: RecordKind, payloadBytes: number): string {
  const fmts: string[] = [r.code, ...(r.tag === undefined ? [] : [r.tag])];
  const args: string[] = [];
  for (const f of r.fields) {
    if (f.type === "payload") {
      if (payloadBytes === 0) continue;
      fmts.push("%rx");
      args.push(`buf(arg${f.arg}, $n)`);
      continue;
    }
    const p = PRINTF[f.type];
    fmts.push(p.fmt);
    args.push(p.expr(`arg${f.arg}`, f));
  }
  return `printf("${fmts.join("\\t")}\\n", ${args.join(", ")});`;
}
