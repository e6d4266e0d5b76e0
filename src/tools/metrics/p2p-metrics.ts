// P2P traffic and connections: from net.message and net.connection (eBPF or IPC tracing),
// p2p.announcement and ping.rtt (the pinger).
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { FactSourceSelector, type EventDataMap, type PeerwatchEvent } from "../../events/index.js";

type NetMessageData = EventDataMap["net.message"];
import { collectFrom, DeferredCounts } from "./deferred-counts.js";
import { LabelLimiter, connTypeLabel, msgTypeLabel } from "./labels.js";

export interface P2pMetrics {
  handle(e: PeerwatchEvent): void;
  /** Counts events[from..to), all net.message (a run of a batch): the same as handle on each, the label set found once per run of equal labels. */
  messages(events: readonly PeerwatchEvent[], from: number, to: number): void;
}

export function registerP2pMetrics(registry: Registry): P2pMetrics {
  const registers = [registry];
  // Every P2P message counts here: summed in plain numbers, handed over at scrape (deferred-counts.ts).
  let traffic: DeferredCounts | undefined;
  const collect = collectFrom(() => traffic);
  const messages = new Counter({
    name: "peerwatch_p2p_messages_total",
    help: "P2P messages by message type, direction and connection type",
    labelNames: ["msg_type", "direction", "conn_type"] as const,
    registers,
    collect,
  });
  const bytes = new Counter({
    name: "peerwatch_p2p_message_bytes_total",
    help: "P2P message payload bytes by message type, direction and connection type",
    labelNames: ["msg_type", "direction", "conn_type"] as const,
    registers,
    collect,
  });
  traffic = new DeferredCounts([messages, bytes], ["msg_type", "direction", "conn_type"]);
  const addrEntries = new Histogram({
    name: "peerwatch_p2p_addr_entries",
    help: "Entries per addr/addrv2 message",
    labelNames: ["msg_type", "direction"] as const,
    buckets: [0, 1, 2, 5, 10, 50, 100, 250, 500, 1000],
    registers,
  });
  const invEntries = new Counter({
    name: "peerwatch_p2p_inv_entries_total",
    help: "Inventory entries announced, by inventory type and direction",
    labelNames: ["inv_type", "direction"] as const,
    registers,
  });
  const pingPayload = new Histogram({
    name: "peerwatch_p2p_inbound_ping_payload_bytes",
    help: "Payload size of pings peers send us (8 is normal)",
    buckets: [0, 4, 8, 16, 64, 1024],
    registers,
  });
  const feefilter = new Histogram({
    name: "peerwatch_p2p_feefilter_sat_per_vbyte",
    help: "Fee filter rates seen in feefilter messages",
    labelNames: ["direction"] as const,
    buckets: [0, 0.1, 0.5, 1, 2, 5, 10, 50, 100, 1000],
    registers,
  });
  const connections = new Counter({
    name: "peerwatch_connections_total",
    help: "Connection events by kind (inbound, outbound, closed, evicted, misbehaving) and network",
    labelNames: ["kind", "network"] as const,
    registers,
  });
  const current = new Gauge({
    name: "peerwatch_connections_current",
    help: "Open connections by direction, as the node reported with the last inbound/outbound connection event",
    labelNames: ["direction"] as const,
    registers,
  });
  const misbehaving = new Counter({ name: "peerwatch_misbehaving_total", help: "Misbehaving peers by reason", labelNames: ["reason"] as const, registers });
  const rtt = new Histogram({
    name: "peerwatch_p2p_ping_rtt_seconds",
    help: "Round trip of the P2P pinger's pings to the node: its message-processing backlog",
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const announced = new Counter({
    name: "peerwatch_pinger_announcements_total",
    help: "Messages the node sent the P2P pinger, by type",
    labelNames: ["msg_type"] as const,
    registers,
  });
  const reasons = new LabelLimiter();
  // IPC tracing, eBPF and the log may all report the same message: count it once.
  const oneSource = new FactSourceSelector();

  // The label set of the last message and its sums: a flood is one (type, direction, connection
  // type) message after another, so most messages add to the sums found for the one before.
  let lastType = "";
  let lastDirection = "";
  let lastConn: string | undefined = "";
  let lastSums: number[] = [];
  const countMessage = (d: NetMessageData): void => {
    let sums = lastSums;
    if (d.msgType !== lastType || d.direction !== lastDirection || d.connType !== lastConn || sums.length === 0) {
      sums = lastSums = traffic.sums(msgTypeLabel(d.msgType), d.direction, connTypeLabel(d.connType));
      lastType = d.msgType;
      lastDirection = d.direction;
      lastConn = d.connType;
    }
    sums[0]! += 1;
    sums[1]! += d.size;
    const dec = d.decoded;
    if ((d.msgType === "addr" || d.msgType === "addrv2") && dec?.entries !== undefined)
      addrEntries.observe({ msg_type: d.msgType, direction: d.direction }, dec.entries);
    if (dec?.invTypes && d.msgType === "inv") for (const [t, n] of Object.entries(dec.invTypes)) invEntries.inc({ inv_type: t, direction: d.direction }, n);
    if (d.msgType === "ping" && d.direction === "in") pingPayload.observe(d.size);
    if (dec?.feeRateSatVb !== undefined) feefilter.observe({ direction: d.direction }, dec.feeRateSatVb);
  };

  const messageRun = (events: readonly PeerwatchEvent[], from: number, to: number): void => {
    for (let i = from; i < to; i++) {
      const e = events[i]!;
      if (e.type === "net.message" && oneSource.accept(e)) countMessage(e.data);
    }
  };

  const handle = (e: PeerwatchEvent): void => {
    if (!oneSource.accept(e)) return;
    switch (e.type) {
      case "net.message":
        countMessage(e.data);
        return;
      case "net.connection": {
        const d = e.data;
        connections.inc({ kind: d.kind, network: d.network ?? "unknown" });
        if ((d.kind === "inbound" || d.kind === "outbound") && d.existing !== undefined) current.set({ direction: d.kind }, d.existing);
        if (d.kind === "misbehaving") misbehaving.inc({ reason: reasons.label(d.reason ?? "unknown") });
        return;
      }
      case "ping.rtt":
        rtt.observe(e.data.rttNs / 1e9);
        return;
      case "p2p.announcement":
        announced.inc({ msg_type: msgTypeLabel(e.data.msgType) });
        if (e.data.feeRateSatVb !== undefined) feefilter.observe({ direction: "in" }, e.data.feeRateSatVb);
        return;
      default:
        return;
    }
  };
  return { handle, messages: messageRun };
}
