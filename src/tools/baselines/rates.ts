// Which rates the baseline learns, and what each event adds to them. Counts per bucket (messages
// by type and direction, bytes each way, connections opened and closed, addr and inv entries
// received) and levels (pinger RTT, b-msghand's CPU share), each with the least value worth an
// alert, so that a quiet rate going from 1 to 5 a minute is never an anomaly.
import { KNOWN_MSG_TYPES, type PeerwatchEvent } from "../../events/index.js";

export type RateKind = "count" | "bytes" | "level";

export interface RateSpec {
  kind: RateKind;
  /** The least bucket value (per minute for counts and bytes) an anomaly needs. */
  minimum: number;
  /** Floor of the spread, so a rate that never moved does not make z infinite. */
  floor: number;
}

// One object per kind, shared: rateSpec runs per event, and must not allocate there.
const BYTES: RateSpec = Object.freeze({ kind: "bytes", minimum: 1_000_000, floor: 10_000 });
const RTT: RateSpec = Object.freeze({ kind: "level", minimum: 100, floor: 5 });
const MSGHAND: RateSpec = Object.freeze({ kind: "level", minimum: 0.5, floor: 0.05 });
const COUNT: RateSpec = Object.freeze({ kind: "count", minimum: 60, floor: 2 });

export function rateSpec(name: string): RateSpec {
  if (name.startsWith("bytes:")) return BYTES;
  if (name === "level:rtt_ms") return RTT;
  if (name === "level:msghand_cpu") return MSGHAND;
  return COUNT;
}

/** The message rates' names, made once (a template string per event was garbage under a flood). */
const MSG_RATES = new Map<string, { in: string; out: string }>([...KNOWN_MSG_TYPES, "other"].map((t) => [t, { in: `msg:${t}:in`, out: `msg:${t}:out` }]));
const OTHER_RATES = MSG_RATES.get("other")!;

/** Words for a rate name, for the alert. */
export function rateWords(name: string): string {
  const [kind, a, b] = name.split(":");
  if (kind === "msg") return `${a} messages ${b === "in" ? "received" : "sent"} per minute`;
  if (kind === "bytes") return `P2P bytes ${a === "in" ? "received" : "sent"} per minute`;
  if (kind === "conn") return `connections ${a} per minute`;
  if (kind === "entries") return `${a} entries received per minute`;
  if (name === "level:rtt_ms") return "pinger round trip (ms, mean per minute)";
  if (name === "level:msghand_cpu") return "b-msghand CPU share";
  return name;
}

export interface Contribution {
  rate: string;
  value: number;
  peerId?: number;
  addr?: string;
}

/** What one event adds (counts and bytes) or says (levels); `out` is reused to spare garbage. */
export function contributions(e: PeerwatchEvent, out: Contribution[]): Contribution[] {
  out.length = 0;
  switch (e.type) {
    case "net.message": {
      const d = e.data;
      const names = MSG_RATES.get(d.msgType) ?? OTHER_RATES;
      const type = names === OTHER_RATES ? "other" : d.msgType;
      out.push(
        { rate: names[d.direction], value: 1, peerId: d.peerId, addr: d.addr },
        { rate: d.direction === "in" ? "bytes:in" : "bytes:out", value: d.size, peerId: d.peerId, addr: d.addr },
      );
      const entries = d.direction === "in" ? d.decoded?.entries : undefined;
      if (entries !== undefined && (type === "addr" || type === "addrv2" || type === "inv"))
        out.push({ rate: `entries:${type === "inv" ? "inv" : "addr"}`, value: entries, peerId: d.peerId, addr: d.addr });
      break;
    }
    case "net.connection":
      if (e.data.kind === "inbound" || e.data.kind === "outbound")
        out.push({ rate: "conn:opened", value: 1, peerId: e.data.peerId, ...(e.data.addr ? { addr: e.data.addr } : {}) });
      else if (e.data.kind === "closed" || e.data.kind === "evicted")
        out.push({ rate: "conn:closed", value: 1, peerId: e.data.peerId, ...(e.data.addr ? { addr: e.data.addr } : {}) });
      break;
    case "ping.rtt":
      out.push({ rate: "level:rtt_ms", value: e.data.rttNs / 1e6 });
      break;
  }
  return out;
}
