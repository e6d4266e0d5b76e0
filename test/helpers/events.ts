// Building scripted event sequences for the tool tests.
import {
  EVENT_MODEL_VERSION,
  decodeEvent,
  type EventDataMap,
  type EventType,
  type PeerInfo,
  type PeerwatchEvent,
  type SourceName,
} from "../../src/events/index.js";

/** An event at a given second (timestamps drive the heuristics' windows). */
export function ev<T extends EventType>(type: T, data: EventDataMap[T], atSeconds = 0, source: SourceName = "ebpf"): PeerwatchEvent {
  const e = { v: EVENT_MODEL_VERSION, ts: Math.round(1_795_470_000_000_000 + atSeconds * 1_000_000), node: "t", source, type, data } as PeerwatchEvent;
  const r = decodeEvent(e);
  if (!r.ok) throw new Error(`test built an invalid event: ${JSON.stringify(r.error)}`);
  return e;
}

export function peer(id: number, over: Partial<PeerInfo> = {}): PeerInfo {
  return {
    id,
    addr: `198.51.100.${id % 250}:8333`,
    network: "ipv4",
    inbound: id % 2 === 0,
    connectionType: id % 2 === 0 ? "inbound" : "outbound-full-relay",
    transport: "v2",
    pingMs: 50,
    minPingMs: 40,
    version: 70016,
    subversion: "/Satoshi:29.0.0/",
    relayTxes: true,
    minFeeFilterSatVb: 1,
    bytesSent: 1000,
    bytesRecv: 2000,
    connTime: 1_795_000_000,
    mappedAs: null,
    timeOffset: 0,
    bip152HbTo: false,
    bip152HbFrom: false,
    inflightBlocks: 0,
    addrRateLimited: 0,
    addrProcessed: 0,
    ...over,
  };
}

export const msg = (peerId: number, msgType: string, direction: "in" | "out" = "in", size = 8, extra: Partial<EventDataMap["net.message"]> = {}) =>
  ({ peerId, addr: `198.51.100.${peerId}:8333`, connType: "inbound", direction, msgType, size, ...extra }) as EventDataMap["net.message"];
