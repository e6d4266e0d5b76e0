// Generates the bpftrace program for the chosen tracepoint groups. Output is one line per event,
// tab-separated, and every string or byte buffer is printed with %rx (each byte as \xNN), so no
// address, reason or payload byte can break a line or a field: parsing is unambiguous.
//
// Limits of bpftrace 0.17 on x86_64: arguments arg0…arg5 only (mempool:replaced's replacement
// vsize, fee and flag are out of reach), buffers up to BPFTRACE_STRLEN bytes (set to 200 at most),
// and all buffers of one probe share the 512-byte BPF stack. A version message has probes of its
// own (a predicate on the type) with a larger payload buffer, so its user agent is decoded.
import { CAPTURE_BYTES_BY_TYPE, MAX_CAPTURE_BYTES, captureBytesFor, largestCapture } from "../codecs/p2p/options.js";

/** Options the bpftrace program cannot be made from. */
export class EbpfProgramError extends Error {
  override name = "EbpfProgramError";
}

export const TRACEPOINT_GROUPS = ["net", "connections", "mempool", "validation", "utxocache"] as const;
export type TracepointGroup = (typeof TRACEPOINT_GROUPS)[number];
/** utxocache is opt-in: it fires for every coin the node touches. */
export const DEFAULT_GROUPS: readonly TracepointGroup[] = ["net", "connections", "mempool", "validation"];

/** Bytes read from each string argument: addr (Tor v3 62 + port), conn type and msg type (20), reasons. */
export const ADDR_BYTES = 68;
export const SHORT_BYTES = 20;
export const REASON_BYTES = 128;
export const MAX_PAYLOAD_BYTES = MAX_CAPTURE_BYTES;
/**
 * The most a message probe's payload buffer can hold: a version message's cap here. Measured with
 * bpftrace 0.17 on the USDT fixture: 160 fits the 512-byte BPF stack beside the address, connection
 * and type buffers, 176 does not (BPFTRACE_STRLEN's own maximum is 200).
 */
export const MAX_BUFFER_BYTES = 160;

/**
 * A predicate that is true when the message type (arg3) is `t`: its first 8 bytes read as one
 * integer, the name and its NUL (so "versionx" is not "version"). A str() comparison would cost a
 * BPFTRACE_STRLEN buffer of the 512-byte stack. Types of up to 7 characters.
 */
function msgTypeIs(t: string, equal: boolean): string {
  const word = Buffer.alloc(8);
  word.write(t, "latin1");
  return ` *(uint64 *)uptr(arg3) ${equal ? "==" : "!="} 0x${word.readBigUInt64LE().toString(16)} `;
}

export interface ProgramOptions {
  /** The binary whose probes to attach (bitcoin-node or bitcoind). */
  binary: string;
  groups: readonly TracepointGroup[];
  /** Payload bytes to copy per message (0 to MAX_PAYLOAD_BYTES). */
  payloadBytes: number;
}

/** BPFTRACE_STRLEN needed by the program: buf() is capped at it. */
export function strlenFor(o: ProgramOptions): number {
  return Math.max(ADDR_BYTES, REASON_BYTES, largestCapture(o.payloadBytes, MAX_BUFFER_BYTES));
}

/** The bytes eBPF keeps of a message of this type (the line parser's bound too). */
export function ebpfCaptureBytes(msgType: string, payloadBytes: number): number {
  return captureBytesFor(msgType, payloadBytes, MAX_BUFFER_BYTES);
}

export function generateProgram(o: ProgramOptions): string {
  if (!Number.isInteger(o.payloadBytes) || o.payloadBytes < 0 || o.payloadBytes > MAX_PAYLOAD_BYTES) {
    throw new RangeError(`payload bytes must be 0…${MAX_PAYLOAD_BYTES}, got ${o.payloadBytes}`);
  }
  if (/["\n\\]/.test(o.binary)) throw new EbpfProgramError(`unusable binary path ${JSON.stringify(o.binary)}`);
  const u = (tp: string) => `usdt:${o.binary}:${tp}`;
  const str = (arg: string, n: number) => `buf(${arg}, ${n})`;
  const hash = (arg: string) => `buf(${arg}, 32)`;
  const parts: string[] = [];
  const g = new Set(o.groups);
  if (g.has("net")) {
    // Types captured further than --payload-bytes (a version message whole) get a probe of their
    // own, chosen by a predicate on the message type; the rest share one at --payload-bytes.
    const wider = Object.keys(CAPTURE_BYTES_BY_TYPE).filter((t) => /^[a-z0-9]{1,7}$/.test(t) && ebpfCaptureBytes(t, o.payloadBytes) > o.payloadBytes);
    const probe = (tp: string, dir: string, bytes: number, predicate: string) => {
      const payload = bytes > 0 ? `$n = arg4; if ($n > ${bytes}) { $n = ${bytes}; }` : "";
      const pfmt = bytes > 0 ? `\\t%rx` : "";
      const parg = bytes > 0 ? `, buf(arg5, $n)` : "";
      return `${u(tp)} ${predicate}{ ${payload} printf("M\\t${dir}\\t%lld\\t%rx\\t%rx\\t%rx\\t%llu${pfmt}\\n", arg0, ${str("arg1", ADDR_BYTES)}, ${str("arg2", SHORT_BYTES)}, ${str("arg3", SHORT_BYTES)}, arg4${parg}); }`;
    };
    for (const [tp, dir] of [["net:inbound_message", "i"], ["net:outbound_message", "o"]] as const) {
      for (const t of wider) parts.push(probe(tp, dir, ebpfCaptureBytes(t, o.payloadBytes), `/${msgTypeIs(t, true)}/ `));
      const rest = wider.map((t) => msgTypeIs(t, false)).join("&&");
      parts.push(probe(tp, dir, o.payloadBytes, rest ? `/${rest}/ ` : ""));
    }
  }
  if (g.has("connections")) {
    for (const [tp, kind] of [["net:inbound_connection", "inbound"], ["net:outbound_connection", "outbound"], ["net:closed_connection", "closed"], ["net:evicted_inbound_connection", "evicted"]]) {
      parts.push(`${u(tp as string)} { printf("C\\t${kind}\\t%lld\\t%rx\\t%rx\\t%u\\t%llu\\n", arg0, ${str("arg1", ADDR_BYTES)}, ${str("arg2", SHORT_BYTES)}, (uint32)arg3, arg4); }`);
    }
    parts.push(`${u("net:misbehaving_connection")} { printf("X\\t%lld\\t%rx\\n", arg0, ${str("arg1", REASON_BYTES)}); }`);
  }
  if (g.has("mempool")) {
    parts.push(`${u("mempool:added")} { printf("A\\t%rx\\t%d\\t%lld\\n", ${hash("arg0")}, (int32)arg1, arg2); }`);
    parts.push(`${u("mempool:removed")} { printf("R\\t%rx\\t%rx\\t%d\\t%lld\\t%llu\\n", ${hash("arg0")}, ${str("arg1", SHORT_BYTES)}, (int32)arg2, arg3, arg4); }`);
    parts.push(`${u("mempool:replaced")} { printf("P\\t%rx\\t%d\\t%lld\\t%llu\\t%rx\\n", ${hash("arg0")}, (int32)arg1, arg2, arg3, ${hash("arg4")}); }`);
    parts.push(`${u("mempool:rejected")} { printf("J\\t%rx\\t%rx\\n", ${hash("arg0")}, ${str("arg1", REASON_BYTES)}); }`);
  }
  if (g.has("validation")) {
    parts.push(`${u("validation:block_connected")} { printf("B\\t%rx\\t%d\\t%llu\\t%d\\t%llu\\t%llu\\n", ${hash("arg0")}, (int32)arg1, arg2, (int32)arg3, arg4, arg5); }`);
  }
  if (g.has("utxocache")) {
    for (const [tp, k] of [["utxocache:add", "a"], ["utxocache:spent", "s"], ["utxocache:uncache", "u"]]) {
      parts.push(`${u(tp as string)} { printf("U\\t${k}\\t%rx\\t%u\\t%u\\t%lld\\t%u\\n", ${hash("arg0")}, (uint32)arg1, (uint32)arg2, arg3, (uint8)arg4); }`);
    }
    parts.push(`${u("utxocache:flush")} { printf("F\\t%lld\\t%u\\t%llu\\t%llu\\t%u\\n", arg0, (uint32)arg1, arg2, arg3, (uint8)arg4); }`);
  }
  if (parts.length === 0) throw new EbpfProgramError("no tracepoint group chosen");
  // BEGIN runs once every probe is attached: the reliable "we are live" signal ("Attaching N
  // probes..." comes before the attaching).
  return `BEGIN { printf("READY\\n"); }\n${parts.join("\n")}\n`;
}
