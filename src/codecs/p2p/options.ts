// Option rows of net-message payload capture, shared by every extractor that traces messages
// (eBPF and IPC tracing): one prefix size for both, so their messages and decoded fields compare.
import { defineOptions } from "../../config/options.js";
import { wholeNumber } from "../../config/values.js";

/** Largest payload prefix captured: what bpftrace can copy within the 512-byte BPF stack. */
export const MAX_CAPTURE_BYTES = 128;
const DEFAULT_CAPTURE_BYTES = 64;

export const PAYLOAD_OPTIONS = defineOptions({
  payloadBytes: {
    flag: "payload-bytes",
    arg: "n",
    description: `message payload bytes eBPF and IPC tracing capture and decode (the same prefix for both), 0 to ${MAX_CAPTURE_BYTES}; longer payloads are marked truncated`,
    defaultText: String(DEFAULT_CAPTURE_BYTES),
    // No default here: the deprecated alias below applies when this is not given.
    schema: wholeNumber(0, MAX_CAPTURE_BYTES).optional(),
  },
  ebpfPayloadBytes: {
    flag: "ebpf-payload-bytes",
    arg: "n",
    description: "deprecated alias of --payload-bytes (still works, with a warning)",
    schema: wholeNumber(0, MAX_CAPTURE_BYTES).optional(),
  },
});

/** The payload prefix to capture: --payload-bytes, else its deprecated alias, else 64. */
export function capturePayloadBytes(c: { payloadBytes?: number | undefined; ebpfPayloadBytes?: number | undefined }): number {
  return c.payloadBytes ?? c.ebpfPayloadBytes ?? DEFAULT_CAPTURE_BYTES;
}

export const EBPF_PAYLOAD_BYTES_DEPRECATED = "--ebpf-payload-bytes (PEERWATCH_EBPF_PAYLOAD_BYTES, ebpfPayloadBytes) is deprecated: use --payload-bytes, which sets eBPF and IPC tracing alike";
