// Option rows of net-message payload capture, shared by every source that traces messages
// (eBPF and IPC tracing): one prefix size for both, so their messages and decoded fields compare.
//
// One prefix does not suit every message: a version message's user agent starts at byte 81 (after
// version, services, time, two 26-byte addresses and the nonce), so a 64-byte prefix never decodes
// it, and a short-lived peer's claimed software is then known to nothing but a later getpeerinfo.
// So some types are captured further, whole as far as decoding needs (CAPTURE_BYTES_BY_TYPE), the
// rest at --payload-bytes. Cost (docs/ipc.md, docs/ebpf.md): version messages come once per
// connection, so eBPF pays nothing measurable; IPC's node copies one size for every message (its
// options have no per-type size), so it copies up to 256 bytes of each message, not 64.
import { defineOptions } from "../../config/options.js";
import { wholeNumber } from "../../config/values.js";

/** Largest payload prefix captured: what bpftrace can copy within the 512-byte BPF stack. */
export const MAX_CAPTURE_BYTES = 128;
const DEFAULT_CAPTURE_BYTES = 64;

export const PAYLOAD_OPTIONS = defineOptions({
  payloadBytes: {
    flag: "payload-bytes",
    arg: "n",
    description:
      `message payload bytes eBPF and IPC tracing capture and decode (the same prefix for both), 0 to ${MAX_CAPTURE_BYTES}; version messages are ` +
      `captured up to 256 bytes (eBPF: 160, what fits the BPF stack) to decode the user agent, 0 captures none; longer payloads are marked truncated`,
    defaultText: String(DEFAULT_CAPTURE_BYTES),
    schema: wholeNumber(0, MAX_CAPTURE_BYTES).default(DEFAULT_CAPTURE_BYTES),
  },
  ebpfPayloadBytes: {
    flag: "ebpf-payload-bytes",
    arg: "n",
    description: "deprecated alias of --payload-bytes (still works, with a warning)",
    schema: wholeNumber(0, MAX_CAPTURE_BYTES).optional(),
    deprecated: { use: "payloadBytes", why: "which sets eBPF and IPC tracing alike" },
  },
});

/**
 * Bytes captured of these types whatever --payload-bytes says (unless 0): a version message whole up
 * to a 256-byte user agent's worth (80 fixed bytes, the user agent, start height and relay flag;
 * Core's MAX_SUBVERSION_LENGTH is 256, real agents are under 100 bytes).
 */
export const CAPTURE_BYTES_BY_TYPE: Readonly<Record<string, number>> = { version: 256 };

/** The bytes to keep of one message of `msgType` with --payload-bytes `payloadBytes` (0: none at all). */
export function captureBytesFor(msgType: string, payloadBytes: number, ceiling = Infinity): number {
  if (payloadBytes === 0) return 0;
  return Math.min(Math.max(payloadBytes, CAPTURE_BYTES_BY_TYPE[msgType] ?? 0), Math.max(payloadBytes, ceiling));
}

/** The most any one message type is captured with --payload-bytes `payloadBytes`. */
export function largestCapture(payloadBytes: number, ceiling = Infinity): number {
  return Math.max(0, ...Object.keys(CAPTURE_BYTES_BY_TYPE).map((t) => captureBytesFor(t, payloadBytes, ceiling)), payloadBytes);
}
