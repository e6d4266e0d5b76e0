// peerwatch's alerts as series an Alertmanager route can match on: when each (alert, peer) was
// last raised, with the peer's address where peerwatch saw it (net.connection, peers.snapshot).
// The value is the wall clock at raising, so a rule can say "raised in the last 15 minutes" live
// and in a replay alike. Bounded: at most MAX_ALERT_SERIES series (oldest dropped) and
// MAX_KNOWN_PEERS addresses; series older than SERIES_TTL_SECONDS go at the next scrape.
import { Gauge, type Registry } from "prom-client";
import type { PeerwatchEvent } from "../../events/index.js";

export const MAX_ALERT_SERIES = 200;
export const MAX_KNOWN_PEERS = 4096;
export const SERIES_TTL_SECONDS = 3600;

export function registerAlertMetrics(registry: Registry, now: () => number = () => Date.now() / 1000): (e: PeerwatchEvent) => void {
  const addrs = new Map<number, string>();
  /** label key → labels and value, in order of last raise */
  const series = new Map<string, { labels: { name: string; severity: string; peer: string }; at: number }>();
  new Gauge({
    name: "peerwatch_alert_last_raised_timestamp_seconds",
    help:
      "When peerwatch last raised each alert (unix seconds, wall clock), by alert name, severity and peer address (empty when the alert is about no " +
      "peer or the address is unknown)",
    labelNames: ["name", "severity", "peer"] as const,
    registers: [registry],
    collect() {
      this.reset();
      const oldest = now() - SERIES_TTL_SECONDS;
      for (const [k, s] of series) {
        if (s.at < oldest) series.delete(k);
        else this.set(s.labels, s.at);
      }
    },
  });
  const remember = (id: number, addr: string) => {
    addrs.delete(id);
    addrs.set(id, addr);
    if (addrs.size > MAX_KNOWN_PEERS) addrs.delete(addrs.keys().next().value as number);
  };
  return (e) => {
    if (e.type === "net.connection") {
      if (e.data.addr && (e.data.kind === "inbound" || e.data.kind === "outbound")) remember(e.data.peerId, e.data.addr);
    } else if (e.type === "peers.snapshot") {
      for (const p of e.data.peers) if (addrs.get(p.id) !== p.addr) remember(p.id, p.addr);
    } else if (e.type === "alert") {
      const peer = e.data.peerId === undefined ? "" : (addrs.get(e.data.peerId) ?? "");
      const labels = { name: e.data.name, severity: e.data.severity, peer };
      const key = `${labels.name}|${labels.severity}|${peer}`;
      series.delete(key);
      series.set(key, { labels, at: now() });
      if (series.size > MAX_ALERT_SERIES) series.delete(series.keys().next().value as string);
    }
  };
}
