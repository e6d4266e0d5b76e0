// The one event model. Every source emits it, every tool consumes only it. Defined once with zod;
// the TypeScript types below are inferred from these schemas. Version 1: add types and optional
// fields freely, never rename or change the meaning of an existing one without bumping `v`.
import { z } from "zod";
import { bytesHex, connType, hash256Hex, int, msgType, networkName, nonNegInt, peerAddr, peerId, text } from "./fields.js";
import { RPC_SNAPSHOT_SCHEMAS, type RpcSnapshotMethod } from "./rpc-results.js";

export const EVENT_MODEL_VERSION = 1;

/** Where an event came from. `peerwatch` marks what peerwatch says about itself (bus drops, alerts). */
export const sourceName = z.enum(["ipc", "ebpf", "rpc", "p2p", "proc", "replay", "log", "peerwatch"]);
export type SourceName = z.infer<typeof sourceName>;

// ---- data of each event type ----

export const tipChanged = z.object({
  height: nonNegInt,
  hash: hash256Hex,
  // What the log's UpdateTip line adds (source "log"); absent elsewhere.
  /** Transactions in the chain up to this block. */
  chainTxs: nonNegInt.optional(),
  /** UTXO cache size in MiB and coins, as the node logged them. */
  cacheMiB: z.number().min(0).optional(),
  cacheCoins: nonNegInt.optional(),
  /** The node's verification progress estimate, 0 to 1. */
  progress: z.number().min(0).max(1).optional(),
  // What IPC's waitTipChanged adds when the tip jumped (several blocks connected before one push).
  /** Blocks between the previous pushed tip and this one that got no push of their own. */
  skipped: nonNegInt.optional(),
  /** Those blocks, oldest first, as executeRpc's getblockhash named them (absent when not looked up). */
  skippedBlocks: z
    .array(z.object({ height: nonNegInt, hash: hash256Hex }))
    .max(64)
    .optional(),
});

export const blockConnected = z.object({
  hash: hash256Hex,
  height: nonNegInt,
  txs: nonNegInt,
  inputs: nonNegInt,
  sigops: nonNegInt,
  connectNs: nonNegInt,
});

export const transport = z.enum(["v1", "v2", "detecting"]);

/** Bytes per message type (getpeerinfo knows a few dozen types; the bound keeps a hostile reply small). */
const bytesPerMsg = z.record(msgType, nonNegInt).refine((r) => Object.keys(r).length <= 256, "at most 256 message types");

/** One peer, normalised from getpeerinfo. `null` where the node does not say (older versions). */
export const peerInfo = z.object({
  id: peerId,
  addr: peerAddr,
  network: networkName.nullable(),
  inbound: z.boolean(),
  connectionType: connType.nullable(),
  transport: transport.nullable(),
  pingMs: z.number().min(0).nullable(),
  minPingMs: z.number().min(0).nullable(),
  version: nonNegInt,
  subversion: text(512),
  relayTxes: z.boolean().nullable(),
  minFeeFilterSatVb: z.number().min(0).nullable(),
  bytesSent: nonNegInt,
  bytesRecv: nonNegInt,
  connTime: nonNegInt,
  mappedAs: nonNegInt.nullable(),
  // Optional extras the heuristics use; absent when the node does not report them.
  timeOffset: int.nullable().optional(),
  bip152HbTo: z.boolean().nullable().optional(),
  bip152HbFrom: z.boolean().nullable().optional(),
  inflightBlocks: nonNegInt.nullable().optional(),
  addrRateLimited: nonNegInt.nullable().optional(),
  addrProcessed: nonNegInt.nullable().optional(),
  /** Newer or patched nodes only (getpeerinfo's inv_to_send, cpu_load): kept when present. */
  invToSend: nonNegInt.optional(),
  /** getpeerinfo's services: the service bits the peer announced, 16 hex digits (u64). */
  services: z
    .string()
    .regex(/^[0-9a-f]{16}$/)
    .optional(),
  /** getpeerinfo's pingwait: how long an unanswered ping has been outstanding (absent when none is). */
  pingWaitMs: z.number().min(0).optional(),
  cpuLoad: z.number().min(0).optional(),
  /** getpeerinfo's bytessent_per_msg / bytesrecv_per_msg: bytes on the wire (headers included) per message type since connect. */
  bytesSentPerMsg: bytesPerMsg.optional(),
  bytesRecvPerMsg: bytesPerMsg.optional(),
});
export type PeerInfo = z.infer<typeof peerInfo>;

export const peersSnapshot = z.object({ peers: z.array(peerInfo).max(100_000) });

export const direction = z.enum(["in", "out"]);

/** What could be read from a captured payload (the capture may be a prefix of the message). */
export const decodedPayload = z.object({
  /** ping/pong nonce: the 8 payload bytes as hex, in wire order. */
  nonce: z
    .string()
    .regex(/^[0-9a-f]{16}$/)
    .optional(),
  /** feefilter: the peer's minimum fee rate. */
  feeRateSatVb: z.number().min(0).optional(),
  /** version: as much as the captured bytes hold. */
  version: z
    .object({
      version: int,
      /** Service bits as 16 hex digits (u64). */
      services: z
        .string()
        .regex(/^[0-9a-f]{16}$/)
        .optional(),
      userAgent: text(256).optional(),
      startHeight: int.optional(),
      relay: z.boolean().optional(),
    })
    .optional(),
  /** inv/getdata/addr/addrv2: the entry count the message declares. */
  entries: nonNegInt.optional(),
  invTypes: z.record(z.string().max(32), nonNegInt).optional(),
  networks: z.record(z.string().max(32), nonNegInt).optional(),
});

export const netMessage = z.object({
  peerId,
  addr: peerAddr,
  connType,
  direction,
  msgType,
  /** True size of the message payload in bytes, whatever was captured. */
  size: nonNegInt,
  /** Captured payload bytes (possibly a prefix of the message). */
  payloadHex: bytesHex.optional(),
  /** The payload was cut: payloadHex holds fewer than `size` bytes. */
  truncated: z.boolean().optional(),
  decoded: decodedPayload.optional(),
  /**
   * When peerwatch received it (µs since the epoch), where that differs from `ts`: IPC tracing
   * stamps `ts` with the node's own time of the message, so receivedTs − ts is the delivery delay.
   */
  receivedTs: nonNegInt.optional(),
});

export const connectionKind = z.enum(["inbound", "outbound", "closed", "evicted", "misbehaving"]);

export const netConnection = z.object({
  kind: connectionKind,
  peerId,
  addr: peerAddr.optional(),
  connType: connType.optional(),
  network: networkName.optional(),
  /** inbound/outbound: connections of that direction that exist now, this one included. */
  existing: nonNegInt.optional(),
  /** closed/evicted: when the connection was made, unix seconds. */
  connectedAt: nonNegInt.optional(),
  /** misbehaving: the node's reason text. */
  reason: text(256).optional(),
  /** inbound/outbound seen at the end of the version handshake (source "log"): transport and protocol version. */
  transport: transport.optional(),
  version: nonNegInt.optional(),
});

export const mempoolAdded = z.object({ txid: hash256Hex, vsize: nonNegInt, fee: int });

export const mempoolRemoved = z.object({
  txid: hash256Hex,
  reason: text(32),
  vsize: nonNegInt,
  fee: int,
  /** When the transaction entered the mempool, unix seconds. */
  entryTime: nonNegInt,
});

export const mempoolReplaced = z.object({
  replacedTxid: hash256Hex,
  replacedVsize: nonNegInt,
  replacedFee: int,
  replacedEntryTime: nonNegInt,
  /** Replacement txid, or the package hash when a package replaced it. */
  replacementTxid: hash256Hex,
  // Beyond bpftrace's arg5 on x86_64: null when the source cannot read them.
  replacementVsize: nonNegInt.nullable(),
  replacementFee: int.nullable(),
  replacedByTransaction: z.boolean().nullable(),
});

export const mempoolRejected = z.object({
  txid: hash256Hex,
  reason: text(256),
  /** Known to the log source ("… from peer=N was not accepted"). */
  wtxid: hash256Hex.optional(),
  peerId: peerId.optional(),
});

export const pingRtt = z.object({
  rttNs: nonNegInt,
  /** What was pinged, e.g. `127.0.0.1:8333`. */
  target: peerAddr,
});

/** What the node announced to the P2P pinger: inv and addr counts, its fee filter (source "p2p"). */
export const p2pAnnouncement = z.object({
  target: peerAddr,
  msgType,
  size: nonNegInt,
  /** inv/addr/addrv2: number of entries the message says it has. */
  entries: nonNegInt.optional(),
  /** inv: entries per inventory type (tx, wtx, block, …). */
  invTypes: z.record(z.string().max(32), nonNegInt).optional(),
  /** addr/addrv2: entries per network. */
  networks: z.record(z.string().max(32), nonNegInt).optional(),
  /** feefilter: the node's minimum fee rate for what it relays to us. */
  feeRateSatVb: z.number().min(0).optional(),
});

export const sourceState = z.enum(["up", "down", "degraded"]);

export const sourceStatus = z.object({
  source: sourceName,
  state: sourceState,
  /** Plain words: why it is not up, or what it found (version, capabilities). */
  detail: text(2048),
  /** Optional machine-readable facts (e.g. IPC capabilities found). */
  capabilities: z.array(z.string().max(64)).max(64).optional(),
});

export const eventsDropped = z.object({
  /** Who lost them: a source name, or `bus:<subscriber>` for a slow subscriber. */
  source: text(128),
  count: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  reason: text(256),
});

export const alert = z.object({
  name: text(64),
  severity: z.enum(["info", "warning", "critical"]),
  peerId: peerId.optional(),
  detail: text(2048),
});

/** A UTXO-cache change (utxocache:add / spent / uncache tracepoints). */
export const utxoChange = z.object({
  txid: hash256Hex,
  vout: nonNegInt,
  height: nonNegInt,
  /** Satoshis. */
  value: int,
  coinbase: z.boolean(),
});

export const utxoFlush = z.object({
  durationUs: nonNegInt,
  /** 0 NONE, 1 IF_NEEDED, 2 PERIODIC, 3 FORCE_FLUSH, 4 FORCE_SYNC (Bitcoin Core's FlushStateMode). */
  mode: nonNegInt,
  coins: nonNegInt,
  memoryBytes: nonNegInt,
  forPrune: z.boolean(),
});

/** CPU time of each thread of the node process, from /proc (source "proc"). */
export const threadsSnapshot = z.object({
  pid: z.number().int().positive(),
  /**
   * Whose threads: the node (the default when absent), or, for `peerwatch compare`'s cost report,
   * peerwatch itself or the bpftrace it runs.
   */
  role: z.enum(["node", "peerwatch", "bpftrace"]).optional(),
  threads: z
    .array(
      z.object({
        tid: z.number().int().positive(),
        /** The thread's name (comm), e.g. b-msghand, b-net, b-capnp-loop; at most 15 bytes on Linux. */
        name: text(64),
        /** CPU seconds in user and kernel mode since the thread started. */
        userSeconds: z.number().min(0),
        systemSeconds: z.number().min(0),
      }),
    )
    .max(100_000),
});

// ---- log source and node identity (issue 14) ----

/**
 * A transaction a peer sent that the node accepted (log: "AcceptToMemoryPool: peer=N: accepted …"); the log has no fee or
 * size, so it is not a mempool.added.
 */
export const mempoolAccepted = z.object({
  txid: hash256Hex,
  wtxid: hash256Hex,
  peerId,
  /** Mempool size after acceptance: transactions and kB. */
  poolTxs: nonNegInt,
  poolKb: nonNegInt,
});

/** A block connected to the active chain where only hash and height are known (log: "BlockConnected: block hash=… block height=…"). */
export const blockSeen = z.object({ hash: hash256Hex, height: nonNegInt });

/** Why the node drops a peer, as it says so before disconnecting (ping timeout, stalling, …). */
export const disconnectCause = z.enum([
  "ping_timeout",
  "stalling",
  "block_download_timeout",
  "socket_closed",
  "socket_error",
  "inactivity",
  "handshake_timeout",
  "eviction",
  "manual",
  "discouraged",
  "extra_outbound",
  "other",
]);
export const peerDisconnecting = z.object({
  peerId,
  addr: peerAddr.optional(),
  cause: disconnectCause,
  /** The node's own words, without the "disconnecting peer=N" tail. */
  detail: text(256),
  /** ping_timeout: seconds since the unanswered ping. */
  pingWaitSeconds: z.number().min(0).optional(),
});

/** An inbound connection the node refused before it became a peer (log: "connection from … dropped"). */
export const inboundRefused = z.object({
  addr: peerAddr.optional(),
  reason: z.enum(["banned", "discouraged", "full", "not_accepting", "non_selectable"]),
});

/** A pong that did not match the ping (log: "pong peer=N: Nonce mismatch, …"). */
export const pongProblem = z.object({
  peerId,
  problem: text(64),
  expectedNonce: z.string().regex(/^[0-9a-f]{1,16}$/),
  receivedNonce: z.string().regex(/^[0-9a-f]{1,16}$/),
  bytes: nonNegInt,
});

/**
 * Bytes the node's transport refused (log: "Header error: …", "V2 transport error: …", net.cpp):
 * wrong network magic, bad checksum, oversized or undecodable header, invalid message type, a v2
 * transport failure. Such bytes never reach the message tracepoints: only the log sees them.
 */
export const protocolError = z.object({
  /** Absent when the node does not name the peer ("V2 transport error: V1 peer with wrong MessageStart …"). */
  peerId: peerId.optional(),
  problem: z.enum(["wrong_magic", "bad_checksum", "oversized", "bad_header", "invalid_type", "v2_transport"]),
  /** The node's own words. */
  detail: text(256),
});

/** One addr/addrv2 message processed (log: "Received addr: N addresses (P processed, R rate-limited) from peer=N"). */
export const addrReceived = z.object({ peerId, addresses: nonNegInt, processed: nonNegInt, rateLimited: nonNegInt });

/** Lines the log source read since it started (cumulative), so unparsed and cut lines are visible. */
export const logLines = z.object({
  /** Lines turned into events or facts, by line kind. */
  parsed: z.record(z.string().max(64), nonNegInt),
  /** Lines no parser knows, by category ("none" for uncategorised lines). */
  unknown: z.record(z.string().max(64), nonNegInt),
  /** Lines longer than the limit: cut, parsed as far as they go. */
  truncated: nonNegInt,
  /** Times reading paused because the line rate limit was reached (lines are delayed, not lost). */
  throttled: nonNegInt,
});

export const nodeImplementation = z.enum(["Bitcoin Core", "Bitcoin Knots", "other"]);

/** Who the watched node is: told by each source that can on start and on reconnect. */
export const nodeInfo = z.object({
  implementation: nodeImplementation,
  /** e.g. "31.99.0" (from a user agent) or "v31.99.0-b88bffe550a3" (from the log). */
  version: text(64),
  /** Knots' own version tag, e.g. "20250101-abc". */
  implementationVersion: text(64).optional(),
  /** The user agent (/Satoshi:…/) or version line this was read from. */
  userAgent: text(256).optional(),
  chain: text(32).optional(),
  /** True for bitcoin-node (multiprocess, IPC), false for bitcoind; absent when unknown. */
  multiprocess: z.boolean().optional(),
  /** Whether the implementation can serve IPC at all; false for builds known without it (Knots). */
  ipcCapable: z.boolean().optional(),
});

/** `rpc.snapshot`: one variant per polled method, each with its result schema. */
const rpcSnapshotVariants = Object.entries(RPC_SNAPSHOT_SCHEMAS).map(([method, result]) => z.object({ method: z.literal(method), result })) as unknown as [
  z.ZodObject,
  z.ZodObject,
  ...z.ZodObject[],
];
export const rpcSnapshot = z.discriminatedUnion("method", rpcSnapshotVariants);
export type RpcSnapshot = {
  [M in RpcSnapshotMethod]: { method: M; result: z.infer<(typeof RPC_SNAPSHOT_SCHEMAS)[M]> };
}[RpcSnapshotMethod];

/** Every event type and the schema of its `data`. */
export const EVENT_DATA_SCHEMAS = {
  "tip.changed": tipChanged,
  "block.connected": blockConnected,
  "peers.snapshot": peersSnapshot,
  "net.message": netMessage,
  "net.connection": netConnection,
  "mempool.added": mempoolAdded,
  "mempool.removed": mempoolRemoved,
  "mempool.replaced": mempoolReplaced,
  "mempool.rejected": mempoolRejected,
  "ping.rtt": pingRtt,
  "p2p.announcement": p2pAnnouncement,
  "rpc.snapshot": rpcSnapshot,
  "threads.snapshot": threadsSnapshot,
  "utxocache.add": utxoChange,
  "utxocache.spent": utxoChange,
  "utxocache.uncache": utxoChange,
  "utxocache.flush": utxoFlush,
  "source.status": sourceStatus,
  "events.dropped": eventsDropped,
  alert,
  // log source and node identity (issue 14)
  "mempool.accepted": mempoolAccepted,
  "block.seen": blockSeen,
  "peer.disconnecting": peerDisconnecting,
  "net.inbound_refused": inboundRefused,
  "pong.problem": pongProblem,
  "addr.received": addrReceived,
  "net.protocol_error": protocolError,
  "log.lines": logLines,
  "node.info": nodeInfo,
} as const;

export type EventType = keyof typeof EVENT_DATA_SCHEMAS;
export const EVENT_TYPES = Object.keys(EVENT_DATA_SCHEMAS) as EventType[];

/** The data of each type as TypeScript sees it (rpc.snapshot narrowed per method). */
export type EventDataMap = {
  [T in Exclude<EventType, "rpc.snapshot">]: z.infer<(typeof EVENT_DATA_SCHEMAS)[T]>;
} & { "rpc.snapshot": RpcSnapshot };

export const envelope = z.object({
  v: z.literal(EVENT_MODEL_VERSION),
  /** Integer microseconds since the Unix epoch. */
  ts: nonNegInt,
  node: z.string().min(1).max(128),
  source: sourceName,
  type: z.string().max(64),
  data: z.unknown(),
});

/** One event, typed by its `type`. */
export type PeerwatchEvent<T extends EventType = EventType> = {
  [K in T]: {
    v: typeof EVENT_MODEL_VERSION;
    ts: number;
    node: string;
    source: SourceName;
    type: K;
    data: EventDataMap[K];
  };
}[T];
