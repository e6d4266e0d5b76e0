// getpeerinfo's result → the event model's peer list. Units become explicit (ms, sat/vB) and
// what an older node does not report becomes null.
import type { GetPeerInfoPeer, NetworkName, PeerInfo } from "../../events/index.js";
import { networkName } from "../../events/index.js";

function network(s: string | undefined): NetworkName | null {
  const r = networkName.safeParse(s);
  return r.success ? r.data : null;
}

function transport(s: string | undefined): PeerInfo["transport"] {
  return s === "v1" || s === "v2" || s === "detecting" ? s : null;
}

/** BTC/kvB (getpeerinfo's minfeefilter) → sat/vB: × 1e8 sat/BTC ÷ 1000 vB/kvB. */
function btcPerKvbToSatPerVb(x: number | undefined): number | null {
  return x === undefined ? null : Math.round(x * 1e8) / 1000;
}

const ms = (seconds: number | undefined) => (seconds === undefined ? null : seconds * 1000);

/** Keeps the per-message-type byte counts within the event model's bounds (type names ≤ 32, ≤ 256 types). */
function boundedPerMsg(r: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(r)
      .filter(([k]) => k.length <= 32)
      .slice(0, 256),
  );
}

export function toPeerInfo(p: GetPeerInfoPeer): PeerInfo {
  return {
    id: p.id,
    addr: p.addr,
    network: network(p.network),
    inbound: p.inbound,
    connectionType: p.connection_type ?? null,
    transport: transport(p.transport_protocol_type),
    pingMs: ms(p.pingtime),
    minPingMs: ms(p.minping),
    version: p.version,
    subversion: p.subver,
    relayTxes: p.relaytxes ?? null,
    minFeeFilterSatVb: btcPerKvbToSatPerVb(p.minfeefilter),
    bytesSent: p.bytessent,
    bytesRecv: p.bytesrecv,
    connTime: p.conntime,
    mappedAs: p.mapped_as ?? null,
    timeOffset: p.timeoffset ?? null,
    bip152HbTo: p.bip152_hb_to ?? null,
    bip152HbFrom: p.bip152_hb_from ?? null,
    inflightBlocks: p.inflight?.length ?? null,
    addrRateLimited: p.addr_rate_limited ?? null,
    addrProcessed: p.addr_processed ?? null,
    ...(p.inv_to_send !== undefined ? { invToSend: p.inv_to_send } : {}),
    ...(p.pingwait !== undefined ? { pingWaitMs: p.pingwait * 1000 } : {}),
    ...(p.services !== undefined && /^[0-9a-f]{1,16}$/.test(p.services) ? { services: p.services.padStart(16, "0") } : {}),
    ...(p.cpu_load !== undefined ? { cpuLoad: p.cpu_load } : {}),
    ...(p.bytessent_per_msg !== undefined ? { bytesSentPerMsg: boundedPerMsg(p.bytessent_per_msg) } : {}),
    ...(p.bytesrecv_per_msg !== undefined ? { bytesRecvPerMsg: boundedPerMsg(p.bytesrecv_per_msg) } : {}),
  };
}
