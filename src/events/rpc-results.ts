// zod schemas for the results of the RPCs peerwatch polls. One definition serves every transport
// (HTTP JSON-RPC and IPC executeRpc) and the `rpc.snapshot` event. Objects are "loose": fields a
// newer (or patched) node adds are kept, fields we rely on are checked. Fields that older nodes lack
// are optional. Field facts come from Bitcoin Core's RPC help and test/fixtures/regtest-capture/rpc.
import { z } from "zod";
import { hash256Hex } from "./fields.js";

const count = z.number().int().min(0);
// BTC as a JSON number, e.g. 0.00000100; never more than the 21 million there are (a larger value
// turned into Infinity, then null, when converted to sat/vB).
const btcAmount = z.number().min(0).max(21e6);
/** A duration in seconds (ping times): bounded so that it stays finite in milliseconds. */
const seconds = z.number().min(0).max(1e9);
const warnings = z.union([z.string(), z.array(z.string())]); // string before v28, array since

export const getPeerInfoPeer = z.looseObject({
  id: z.number().int().min(0),
  addr: z.string().max(256),
  addrbind: z.string().max(256).optional(),
  network: z.string().max(32).optional(),
  mapped_as: z.number().int().min(0).optional(),
  services: z.string().max(32).optional(),
  relaytxes: z.boolean().optional(),
  lastsend: count.optional(),
  lastrecv: count.optional(),
  bytessent: count,
  bytesrecv: count,
  conntime: count,
  timeoffset: z.number().int().optional(),
  pingtime: seconds.optional(),
  minping: seconds.optional(),
  pingwait: seconds.optional(),
  version: z.number().int().min(0),
  subver: z.string().max(512),
  inbound: z.boolean(),
  bip152_hb_to: z.boolean().optional(),
  bip152_hb_from: z.boolean().optional(),
  inflight: z.array(z.number().int()).optional(),
  addr_relay_enabled: z.boolean().optional(),
  addr_processed: count.optional(),
  addr_rate_limited: count.optional(),
  permissions: z.array(z.string()).optional(),
  minfeefilter: btcAmount.optional(),
  connection_type: z.string().max(32).optional(),
  transport_protocol_type: z.string().max(16).optional(),
  session_id: z.string().max(128).optional(),
  inv_to_send: count.optional(),
  cpu_load: z.number().min(0).optional(),
  bytessent_per_msg: z.record(z.string(), count).optional(),
  bytesrecv_per_msg: z.record(z.string(), count).optional(),
});
export type GetPeerInfoPeer = z.infer<typeof getPeerInfoPeer>;

/** At most this many peers are accepted in one reply: Bitcoin Core's default maxconnections is 125. */
export const MAX_PEERS = 100_000;
export const getPeerInfoResult = z.array(getPeerInfoPeer).max(MAX_PEERS);

export const getMempoolInfoResult = z.looseObject({
  loaded: z.boolean(),
  size: count,
  bytes: count,
  usage: count,
  total_fee: btcAmount.optional(),
  maxmempool: count,
  mempoolminfee: btcAmount,
  minrelaytxfee: btcAmount,
  incrementalrelayfee: btcAmount.optional(),
  unbroadcastcount: count.optional(),
  fullrbf: z.boolean().optional(),
});

export const getNetworkInfoResult = z.looseObject({
  version: count,
  subversion: z.string().max(512),
  protocolversion: count,
  localservices: z.string().max(32).optional(),
  localrelay: z.boolean().optional(),
  timeoffset: z.number().int().optional(),
  networkactive: z.boolean(),
  connections: count,
  connections_in: count.optional(),
  connections_out: count.optional(),
  networks: z
    .array(
      z.looseObject({
        name: z.string().max(32),
        limited: z.boolean(),
        reachable: z.boolean(),
        proxy: z.string().max(512),
      }),
    )
    .max(64),
  relayfee: btcAmount,
  incrementalfee: btcAmount.optional(),
  localaddresses: z.array(z.looseObject({ address: z.string().max(256), port: count, score: z.number() })).max(1024),
  warnings,
});

export const getNetTotalsResult = z.looseObject({
  totalbytesrecv: count,
  totalbytessent: count,
  timemillis: count,
  uploadtarget: z.looseObject({
    timeframe: count,
    target: count,
    target_reached: z.boolean(),
    serve_historical_blocks: z.boolean(),
    bytes_left_in_cycle: count,
    time_left_in_cycle: count,
  }),
});

export const uptimeResult = count;

export const getBlockchainInfoResult = z.looseObject({
  chain: z.string().max(32),
  blocks: count,
  headers: count,
  bestblockhash: hash256Hex,
  difficulty: z.number().min(0),
  time: count.optional(),
  mediantime: count,
  verificationprogress: z.number().min(0),
  initialblockdownload: z.boolean(),
  chainwork: z.string().regex(/^[0-9a-f]{64}$/),
  size_on_disk: count,
  pruned: z.boolean(),
  warnings,
});

export const getMemoryInfoResult = z.looseObject({
  locked: z.looseObject({
    used: count,
    free: count,
    total: count,
    locked: count,
    chunks_used: count,
    chunks_free: count,
  }),
});

export const getChainTxStatsResult = z.looseObject({
  time: count,
  txcount: count.optional(),
  window_final_block_hash: hash256Hex,
  window_final_block_height: count.optional(),
  window_block_count: count,
  window_interval: count.optional(),
  window_tx_count: count.optional(),
  txrate: z.number().min(0).optional(),
});

const addrmanCounts = z.looseObject({ new: count, tried: count, total: count });
export const getAddrmanInfoResult = z.record(z.string().max(32), addrmanCounts);

export const getOrphanTxsResult = z.array(hash256Hex).max(1_000_000);

export const listBannedResult = z
  .array(
    z.looseObject({
      address: z.string().max(256),
      ban_created: count,
      banned_until: count,
      ban_duration: count.optional(),
      time_remaining: z.number().int().optional(),
    }),
  )
  .max(1_000_000);

/** Every method whose result lands in an `rpc.snapshot` event, with the schema that checks it. */
export const RPC_SNAPSHOT_SCHEMAS = {
  getmempoolinfo: getMempoolInfoResult,
  getnetworkinfo: getNetworkInfoResult,
  getnettotals: getNetTotalsResult,
  uptime: uptimeResult,
  getblockchaininfo: getBlockchainInfoResult,
  getmemoryinfo: getMemoryInfoResult,
  getchaintxstats: getChainTxStatsResult,
  getaddrmaninfo: getAddrmanInfoResult,
  getorphantxs: getOrphanTxsResult,
  listbanned: listBannedResult,
} as const;
export type RpcSnapshotMethod = keyof typeof RPC_SNAPSHOT_SCHEMAS;
export const RPC_SNAPSHOT_METHODS = Object.keys(RPC_SNAPSHOT_SCHEMAS) as RpcSnapshotMethod[];
