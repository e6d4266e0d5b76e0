// The shape of a compare report: what `--json` prints and what the table and markdown show.
// Times are milliseconds, CPU is seconds per second of wall time; null where nothing was measured.

export interface DelayStats {
  /** How many delays were measured. */
  samples: number;
  medianMs: number | null;
  maxMs: number | null;
}

export interface SourceSummary {
  events: number;
  byType: Record<string, number>;
  /** The last source.status it reported, if any. */
  state: "up" | "down" | "degraded" | null;
  detail: string | null;
  capabilities: string[];
  /** Times it went down after being up or degraded. */
  downs: number;
}

/** How one block source did: how many of the blocks it saw, how long after the earliest source. */
export interface BlockSourceStats {
  seen: number;
  /** Blocks in the comparison (seen by at least one source after the starting tip). */
  of: number;
  medianDelayMs: number | null;
  maxDelayMs: number | null;
  /** Times this source was the first to report a block. */
  first: number;
  /** Blocks it never reported (at most 20 listed), not counting those it passed over in a jump. */
  missed: { height: number; hash: string }[];
  /** Blocks its tip jumped over (connected together, reported as one new tip): not missed. */
  coalesced?: number;
  /** Its times are whole seconds (debug.log without -logtimemicros): left out of `first` and the delays. */
  wholeSeconds?: boolean;
}

export interface PeerRef {
  peerId: number;
  addr: string | null;
  /** Which sources saw it. */
  seenBy: string[];
}

export interface ShortLivedPeer extends PeerRef {
  connType: string | null;
  firstTs: number;
  lastTs: number;
  lifetimeMs: number;
  messages: number;
}

/** One message type in one direction: getpeerinfo's byte counters against summed net.message sizes. */
export interface BytesPerMsgRow {
  msgType: string;
  direction: "in" | "out";
  /** Growth of getpeerinfo's bytes{sent,recv}_per_msg over the peers polled at least twice (headers included). */
  rpcBytes: number;
  /** Per tracing source: messages and summed payload sizes between the same two polls; `overheadPerMsg` = (rpcBytes − bytes) / messages. */
  traced: Record<string, { messages: number; bytes: number; overheadPerMsg: number | null }>;
}

export interface PeersReport {
  /** Per source: distinct peers seen. */
  bySource: Record<string, { peers: number }>;
  /** Per source: peers others saw that it did not (at most 50 listed each). */
  missing: Record<string, PeerRef[]>;
  /** Peers that came and went between two polls, so no getpeerinfo ever listed them. */
  shortLived: ShortLivedPeer[];
  /** The poller whose getpeerinfo was used for the byte comparison (rpc or ipc-poll), if any. */
  bytesFrom: string | null;
  bytesPerMsg: BytesPerMsgRow[];
}

export interface MessageTypeRow {
  msgType: string;
  direction: "in" | "out";
  bySource: Record<string, { count: number; bytes: number }>;
}

export interface MessagesReport {
  /** Per tracing source (ipc, ebpf): messages, payload bytes, drops it reported (by reason). */
  bySource: Record<string, { messages: number; bytes: number; dropped: number; dropReasons: Record<string, number> }>;
  perType: MessageTypeRow[];
  /** Set when both IPC and eBPF traced messages: messages one saw and the other did not, within the time both were tracing. */
  matched: {
    windowMs: number;
    both: number;
    only: Record<string, number>;
    /** The message kinds with the largest differences (peer, direction, type, size). */
    examples: { peerId: number; direction: "in" | "out"; msgType: string; size: number; counts: Record<string, number> }[];
  } | null;
  /** IPC tracing: delay from the node's timestamp to peerwatch receiving the message. */
  ipcDeliveryDelay: DelayStats;
}

export interface ProcessCost {
  /** CPU seconds per second, over `seconds` of wall time between the first and last sample. */
  cpuPerSecond: number | null;
  seconds: number;
}

export interface CostReport {
  peerwatch: ProcessCost;
  bpftrace: ProcessCost;
  node: ProcessCost & {
    /** Per thread name (numbered pool threads such as b-httpworker.N or b-http.NN summed as name.*), CPU seconds per second. */
    threads: Record<string, number>;
  };
}

export interface CompareReport {
  window: { startTs: number | null; endTs: number | null; seconds: number };
  sources: Record<string, SourceSummary>;
  blocks: Record<string, BlockSourceStats>;
  peers: PeersReport;
  messages: MessagesReport;
  cost: CostReport;
  /** Input lines that were not valid events (recordings), and events the compare tool lost. */
  input: { events: number; invalidLines: number; lost: number };
}
