// What the last peers.snapshot says about the node's peers. Every family is rebuilt from each
// snapshot (no per-peer labels: a few hundred peers must cost a few dozen series).
import { Gauge, type Registry } from "prom-client";
import type { PeerInfo, PeerwatchEvent } from "../../events/index.js";
import type { PrefixTree } from "../../iplists/prefix-tree.js";
import { connTypeLabel } from "./labels.js";

const median = (xs: number[]) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

export function registerPeerMetrics(registry: Registry, lists: { tree: PrefixTree; names: string[] }): (e: PeerwatchEvent) => void {
  const registers = [registry];
  const g = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers });
  const peers = g("peerwatch_peers", "Peers by network, connection type and transport", ["network", "conn_type", "transport"]);
  const byVersion = g("peerwatch_peers_by_protocol_version", "Peers by P2P protocol version", ["version"]);
  const ping = g("peerwatch_peers_ping_seconds", "Ping time over the node's peers (mean, median)", ["stat"]);
  const minPing = g("peerwatch_peers_min_ping_seconds", "Minimum ping over the node's peers (mean, median)", ["stat"]);
  const offset = g("peerwatch_peers_clock_offset_beyond_10s", "Peers whose clock differs from the node's by more than ±10 s");
  const hb = g("peerwatch_peers_bip152_high_bandwidth", "BIP152 high-bandwidth compact block peers, by direction (to: we asked them; from: they asked us)", [
    "direction",
  ]);
  const lowFee = g("peerwatch_peers_relaying_below_1_sat_vb", "Peers that relay transactions with a fee filter under 1 sat/vB");
  const listed = g("peerwatch_peers_listed", "Peers whose address is on an IP list", ["list"]);
  const asns = g("peerwatch_peers_distinct_asns", "Distinct autonomous systems among peers (needs the node's -asmap)");
  const inflight = g("peerwatch_peers_with_inflight_blocks", "Peers we are downloading blocks from");
  const addrLimited = g(
    "peerwatch_peers_addr_rate_limited",
    "Addresses the node dropped from current peers by its addr rate limit (sum of getpeerinfo's addr_rate_limited)",
  );
  const addrProcessed = g("peerwatch_peers_addr_processed", "Addresses the node processed from current peers (sum of addr_processed)");
  const v2share = g("peerwatch_peers_v2_transport_ratio", "Share of peers on the BIP324 v2 transport, 0 to 1");

  return (e) => {
    if (e.type !== "peers.snapshot") return;
    const ps: PeerInfo[] = e.data.peers;
    for (const x of [peers, byVersion, ping, minPing, hb, listed]) x.reset();
    for (const p of ps) {
      peers.inc({ network: p.network ?? "unknown", conn_type: connTypeLabel(p.connectionType), transport: p.transport ?? "unknown" });
      byVersion.inc({ version: String(p.version) });
    }
    const pings = ps.flatMap((p) => (p.pingMs === null ? [] : [p.pingMs / 1000]));
    const minPings = ps.flatMap((p) => (p.minPingMs === null ? [] : [p.minPingMs / 1000]));
    if (pings.length) {
      ping.set({ stat: "mean" }, mean(pings));
      ping.set({ stat: "median" }, median(pings));
    }
    if (minPings.length) {
      minPing.set({ stat: "mean" }, mean(minPings));
      minPing.set({ stat: "median" }, median(minPings));
    }
    offset.set(ps.filter((p) => p.timeOffset != null && Math.abs(p.timeOffset) > 10).length);
    hb.set({ direction: "to" }, ps.filter((p) => p.bip152HbTo).length);
    hb.set({ direction: "from" }, ps.filter((p) => p.bip152HbFrom).length);
    lowFee.set(ps.filter((p) => p.relayTxes && p.minFeeFilterSatVb !== null && p.minFeeFilterSatVb < 1).length);
    for (const name of lists.names) listed.set({ list: name }, 0);
    for (const p of ps) for (const l of lists.tree.match(p.addr)) listed.inc({ list: l });
    asns.set(new Set(ps.flatMap((p) => (p.mappedAs ? [p.mappedAs] : []))).size);
    inflight.set(ps.filter((p) => (p.inflightBlocks ?? 0) > 0).length);
    addrLimited.set(ps.reduce((n, p) => n + (p.addrRateLimited ?? 0), 0));
    addrProcessed.set(ps.reduce((n, p) => n + (p.addrProcessed ?? 0), 0));
    const known = ps.filter((p) => p.transport === "v1" || p.transport === "v2");
    if (known.length) v2share.set(known.filter((p) => p.transport === "v2").length / known.length);
  };
}
