// Chain and mempool: tip.changed, block.connected, mempool.* and the rpc.snapshot results.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { PeerwatchEvent } from "../../events/index.js";
import { LabelLimiter } from "./labels.js";

export function registerChainMetrics(registry: Registry): (e: PeerwatchEvent) => void {
  const registers = [registry];
  const tipHeight = new Gauge({ name: "peerwatch_tip_height", help: "Height of the node's best block", registers });
  let tipAt = 0;
  new Gauge({
    name: "peerwatch_tip_age_seconds",
    help: "Seconds since peerwatch saw the tip change",
    registers,
    collect() {
      if (tipAt > 0) this.set((Date.now() - tipAt) / 1000);
    },
  });
  const tipChanges = new Counter({ name: "peerwatch_tip_changes_total", help: "Tip changes seen", registers });
  const blockHeight = new Gauge({ name: "peerwatch_block_connected_height", help: "Height of the last connected block", registers });
  const connectTime = new Histogram({
    name: "peerwatch_block_connect_seconds",
    help: "Time the node took to connect a block",
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const blockTxs = new Gauge({ name: "peerwatch_block_connected_transactions", help: "Transactions in the last connected block", registers });
  const blockInputs = new Gauge({ name: "peerwatch_block_connected_inputs", help: "Inputs in the last connected block", registers });
  const blockSigops = new Gauge({ name: "peerwatch_block_connected_sigops", help: "Signature operations in the last connected block", registers });
  const mempoolEvents = new Counter({
    name: "peerwatch_mempool_transactions_total",
    help: "Mempool events by kind (added, removed, replaced, rejected) and reason",
    labelNames: ["kind", "reason"] as const,
    registers,
  });
  const mempoolVbytes = new Counter({
    name: "peerwatch_mempool_vbytes_total",
    help: "Virtual bytes of transactions added to, removed from, or replaced in the mempool",
    labelNames: ["kind", "reason"] as const,
    registers,
  });
  const rejectReasons = new LabelLimiter();
  // From rpc.snapshot
  const mempoolSize = new Gauge({ name: "peerwatch_mempool_size", help: "Transactions in the mempool (getmempoolinfo)", registers });
  const mempoolBytes = new Gauge({ name: "peerwatch_mempool_bytes", help: "Virtual size of the mempool (getmempoolinfo)", registers });
  const mempoolUsage = new Gauge({ name: "peerwatch_mempool_usage_bytes", help: "Memory the mempool uses (getmempoolinfo)", registers });
  const mempoolMinFee = new Gauge({
    name: "peerwatch_mempool_min_fee_sat_per_vbyte",
    help: "Minimum fee rate to enter the mempool (getmempoolinfo)",
    registers,
  });
  const netBytes = new Gauge({
    name: "peerwatch_node_network_bytes",
    help: "Bytes the node sent/received since start (getnettotals)",
    labelNames: ["direction"] as const,
    registers,
  });
  const uptime = new Gauge({ name: "peerwatch_node_uptime_seconds", help: "Node uptime (uptime)", registers });
  const headers = new Gauge({ name: "peerwatch_node_headers", help: "Best header height (getblockchaininfo)", registers });
  const ibd = new Gauge({ name: "peerwatch_node_initial_block_download", help: "1 while the node is in initial block download", registers });
  const progress = new Gauge({ name: "peerwatch_node_verification_progress", help: "Verification progress, 0 to 1 (getblockchaininfo)", registers });
  const netConns = new Gauge({
    name: "peerwatch_node_connections",
    help: "Connections by direction (getnetworkinfo)",
    labelNames: ["direction"] as const,
    registers,
  });
  const addrman = new Gauge({
    name: "peerwatch_addrman_addresses",
    help: "Addresses in addrman by network and table (getaddrmaninfo)",
    labelNames: ["network", "table"] as const,
    registers,
  });
  const orphans = new Gauge({ name: "peerwatch_orphan_transactions", help: "Transactions in the orphan pool (getorphantxs)", registers });
  const banned = new Gauge({ name: "peerwatch_banned_addresses", help: "Entries in the node's ban list (listbanned)", registers });
  const locked = new Gauge({ name: "peerwatch_node_locked_memory_used_bytes", help: "Locked memory in use (getmemoryinfo)", registers });
  const txRate = new Gauge({ name: "peerwatch_chain_tx_rate", help: "Transactions per second over the last window (getchaintxstats)", registers });
  const satPerVb = (btcPerKvb: number) => (btcPerKvb * 1e8) / 1000;

  return (e) => {
    switch (e.type) {
      case "tip.changed":
        tipHeight.set(e.data.height);
        tipChanges.inc();
        tipAt = Date.now();
        return;
      case "block.connected":
        blockHeight.set(e.data.height);
        connectTime.observe(e.data.connectNs / 1e9);
        blockTxs.set(e.data.txs);
        blockInputs.set(e.data.inputs);
        blockSigops.set(e.data.sigops);
        return;
      case "mempool.added":
        mempoolEvents.inc({ kind: "added", reason: "" });
        mempoolVbytes.inc({ kind: "added", reason: "" }, e.data.vsize);
        return;
      case "mempool.removed":
        mempoolEvents.inc({ kind: "removed", reason: rejectReasons.label(e.data.reason) });
        mempoolVbytes.inc({ kind: "removed", reason: rejectReasons.label(e.data.reason) }, e.data.vsize);
        return;
      case "mempool.replaced":
        mempoolEvents.inc({ kind: "replaced", reason: "" });
        mempoolVbytes.inc({ kind: "replaced", reason: "" }, e.data.replacedVsize);
        return;
      case "mempool.rejected":
        mempoolEvents.inc({ kind: "rejected", reason: rejectReasons.label(e.data.reason) });
        return;
      case "rpc.snapshot": {
        const s = e.data;
        switch (s.method) {
          case "getmempoolinfo":
            mempoolSize.set(s.result.size);
            mempoolBytes.set(s.result.bytes);
            mempoolUsage.set(s.result.usage);
            mempoolMinFee.set(satPerVb(s.result.mempoolminfee));
            return;
          case "getnettotals":
            netBytes.set({ direction: "in" }, s.result.totalbytesrecv);
            netBytes.set({ direction: "out" }, s.result.totalbytessent);
            return;
          case "uptime":
            uptime.set(s.result);
            return;
          case "getblockchaininfo":
            headers.set(s.result.headers);
            ibd.set(s.result.initialblockdownload ? 1 : 0);
            progress.set(s.result.verificationprogress);
            return;
          case "getnetworkinfo":
            if (s.result.connections_in !== undefined) netConns.set({ direction: "in" }, s.result.connections_in);
            if (s.result.connections_out !== undefined) netConns.set({ direction: "out" }, s.result.connections_out);
            return;
          case "getaddrmaninfo":
            for (const [network, c] of Object.entries(s.result).slice(0, 16)) {
              addrman.set({ network, table: "new" }, c.new);
              addrman.set({ network, table: "tried" }, c.tried);
            }
            return;
          case "getorphantxs":
            orphans.set(s.result.length);
            return;
          case "listbanned":
            banned.set(s.result.length);
            return;
          case "getmemoryinfo":
            locked.set(s.result.locked.used);
            return;
          case "getchaintxstats":
            if (s.result.txrate !== undefined) txRate.set(s.result.txrate);
            return;
        }
        return;
      }
      default:
        return;
    }
  };
}
