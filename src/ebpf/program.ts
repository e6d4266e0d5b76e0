// Generates the bpftrace program for the chosen tracepoint groups. Output is one line per event,
// tab-separated, and every string or byte buffer is printed with %rx (each byte as \xNN), so no
// address, reason or payload byte can break a line or a field: parsing is unambiguous.
//
// Limits of bpftrace 0.17 on x86_64: arguments arg0…arg5 only (mempool:replaced's replacement
// vsize, fee and flag are out of reach), buffers up to BPFTRACE_STRLEN bytes (set to 200 at most),
// and all buffers of one probe share the 512-byte BPF stack.
import { MAX_CAPTURE_BYTES } from "../codecs/p2p/options.js";

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

export interface ProgramOptions {
  /** The binary whose probes to attach (bitcoin-node or bitcoind). */
  binary: string;
  groups: readonly TracepointGroup[];
  /** Payload bytes to copy per message (0 to MAX_PAYLOAD_BYTES). */
  payloadBytes: number;
}

/** BPFTRACE_STRLEN needed by the program: buf() is capped at it. */
export function strlenFor(o: ProgramOptions): number {
  return Math.max(ADDR_BYTES, REASON_BYTES, o.payloadBytes);
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
    const payload = o.payloadBytes > 0 ? `$n = arg4; if ($n > ${o.payloadBytes}) { $n = ${o.payloadBytes}; }` : "";
    const pfmt = o.payloadBytes > 0 ? `\\t%rx` : "";
    const parg = o.payloadBytes > 0 ? `, buf(arg5, $n)` : "";
    for (const [tp, dir] of [["net:inbound_message", "i"], ["net:outbound_message", "o"]]) {
      parts.push(
        `${u(tp as string)} { ${payload} printf("M\\t${dir}\\t%lld\\t%rx\\t%rx\\t%rx\\t%llu${pfmt}\\n", arg0, ${str("arg1", ADDR_BYTES)}, ${str("arg2", SHORT_BYTES)}, ${str("arg3", SHORT_BYTES)}, arg4${parg}); }`,
      );
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
