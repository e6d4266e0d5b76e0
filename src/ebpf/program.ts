// Generates the bpftrace program for the chosen tracepoint groups: one probe per row of RECORDS
// (records.ts), whose printf the row gives. Output is one line per event, tab-separated, and every
// string or byte buffer is printed with %rx (each byte as \xNN), so no address, reason or payload
// byte can break a line or a field: parsing is unambiguous.
//
// Limits of bpftrace 0.17 on x86_64: arguments arg0…arg5 only (mempool:replaced's replacement
// vsize, fee and flag are out of reach), buffers up to BPFTRACE_STRLEN bytes (set to 200 at most),
// and all buffers of one probe share the 512-byte BPF stack. A version message has probes of its
// own (a predicate on the type) with a larger payload buffer, so its user agent is decoded.
import { CAPTURE_BYTES_BY_TYPE, MAX_CAPTURE_BYTES, captureBytesFor, largestCapture } from "../codecs/p2p/options.js";
import { ADDR_BYTES, RECORDS, REASON_BYTES, printfOf, type RecordKind, type TracepointGroup } from "./records.js";

export { ADDR_BYTES, REASON_BYTES, SHORT_BYTES, TRACEPOINT_GROUPS, type TracepointGroup } from "./records.js";

/** Options the bpftrace program cannot be made from. */
export class EbpfProgramError extends Error {
  override name = "EbpfProgramError";
}

/** utxocache is opt-in: it fires for every coin the node touches. */
export const DEFAULT_GROUPS: readonly TracepointGroup[] = ["net", "connections", "mempool", "validation"];

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
    throw new EbpfProgramError(`payload bytes must be 0…${MAX_PAYLOAD_BYTES}, got ${o.payloadBytes}`);
  }
  if (/["\n\\]/.test(o.binary)) throw new EbpfProgramError(`unusable binary path ${JSON.stringify(o.binary)}`);
  const u = (tp: string) => `usdt:${o.binary}:${tp}`;
  const parts: string[] = [];
  const g = new Set(o.groups);
  // Types captured further than --payload-bytes (a version message whole) get a message probe of
  // their own, chosen by a predicate on the message type; the rest share one at --payload-bytes.
  const wider = Object.keys(CAPTURE_BYTES_BY_TYPE).filter((t) => /^[a-z0-9]{1,7}$/.test(t) && ebpfCaptureBytes(t, o.payloadBytes) > o.payloadBytes);
  const messageProbe = (r: RecordKind, bytes: number, predicate: string) => {
    // The payload buffer's length: the message's size argument, capped at the bytes captured.
    const size = r.fields.find((f) => f.name === "size")!;
    const payload = bytes > 0 ? `$n = arg${size.arg}; if ($n > ${bytes}) { $n = ${bytes}; }` : "";
    return `${u(r.tracepoint)} ${predicate}{ ${payload} ${printfOf(r, bytes)} }`;
  };
  for (const r of RECORDS) {
    if (!g.has(r.group)) continue;
    if (r.fields.some((f) => f.type === "payload")) {
      for (const t of wider) parts.push(messageProbe(r, ebpfCaptureBytes(t, o.payloadBytes), `/${msgTypeIs(t, true)}/ `));
      const rest = wider.map((t) => msgTypeIs(t, false)).join("&&");
      parts.push(messageProbe(r, o.payloadBytes, rest ? `/${rest}/ ` : ""));
    } else {
      parts.push(`${u(r.tracepoint)} { ${printfOf(r, 0)} }`);
    }
  }
  if (parts.length === 0) throw new EbpfProgramError("no tracepoint group chosen");
  // BEGIN runs once every probe is attached: the reliable "we are live" signal ("Attaching N
  // probes..." comes before the attaching).
  return `BEGIN { printf("READY\\n"); }\n${parts.join("\n")}\n`;
}
