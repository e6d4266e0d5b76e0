// Why events are lost, as the metrics tool labels them (the reason's text before ':' or '('). The
// producers start their events.dropped reason with one of these; the metrics tool starts every
// (source, reason) pair here at 0, so a dashboard tells "no drops" from "no data".
export const DROP_REASONS = {
  bpftraceLost: "bpftrace lost events",
  bpftraceUnparseable: "unparseable bpftrace records",
  untimedPong: "pong with an unknown nonce",
  forgottenPing: "ping without pong, forgotten",
  traceQueueFull: "node's trace queue was full",
  traceInvalid: "invalid entries in a net-message trace batch",
  traceUnreadable: "unreadable trace batch",
  outputFailed: "event output failed",
  unencodable: "event could not be encoded",
  queueFull: "subscriber queue full",
} as const;

/** The (source, reason) pairs known in advance (bus subscribers' `bus:<name>` ones depend on the command). */
export const KNOWN_DROPS: readonly { source: string; reason: string }[] = [
  { source: "ebpf", reason: DROP_REASONS.bpftraceLost },
  { source: "ebpf", reason: DROP_REASONS.bpftraceUnparseable },
  { source: "p2p", reason: DROP_REASONS.untimedPong },
  { source: "p2p", reason: DROP_REASONS.forgottenPing },
  { source: "ipc", reason: DROP_REASONS.traceQueueFull },
  { source: "ipc", reason: DROP_REASONS.traceInvalid },
  { source: "ipc", reason: DROP_REASONS.traceUnreadable },
  { source: "ndjson", reason: DROP_REASONS.outputFailed },
  { source: "ndjson", reason: DROP_REASONS.unencodable },
];
