// The series added for dashboards and alert routing: alerts by peer address (bounded, wall clock),
// the busiest peers' traffic and peers by netgroup (bounded top lists, rebuilt per snapshot), and
// replayed source states kept apart from this process's own.
import { describe, expect, it } from "vitest";
import { Registry } from "prom-client";
import { MemoryBus } from "../../src/bus/index.js";
import { makeEvent } from "../../src/events/index.js";
import { loadIpLists } from "../../src/iplists/load-lists.js";
import { MAX_ALERT_SERIES, SERIES_TTL_SECONDS, registerAlertMetrics } from "../../src/tools/metrics/alert-metrics.js";
import { createMetricsRegistry } from "../../src/tools/metrics/index.js";
import { TOP_PEERS, netgroup, registerPeerTrafficMetrics } from "../../src/tools/metrics/peer-traffic-metrics.js";
import { peer } from "../helpers/events.js";
import { T0 } from "../helpers/recording.js";

const value = (text: string, series: string) => {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe("alert series by peer", () => {
  it("labels an alert with the address seen for its peer, keeps the wall clock, bounds and expires the series", async () => {
    const registry = new Registry();
    let now = 1_000_000;
    const handle = registerAlertMetrics(registry, () => now);
    handle(makeEvent("ebpf", "n", "net.connection", { kind: "inbound", peerId: 3, addr: "203.0.113.7:8333", connType: "inbound" }, T0));
    handle(makeEvent("peerwatch", "n", "alert", { name: "ping-spam", severity: "warning", peerId: 3, detail: "x" }, T0));
    handle(makeEvent("peerwatch", "n", "alert", { name: "inbound-churn", severity: "warning", detail: "y" }, T0));
    handle(makeEvent("peerwatch", "n", "alert", { name: "addr-spam", severity: "warning", peerId: 99, detail: "unknown peer" }, T0));
    let text = await registry.metrics();
    expect(value(text, 'peerwatch_alert_last_raised_timestamp_seconds{name="ping-spam",severity="warning",peer="203.0.113.7:8333"}')).toBe(1_000_000);
    expect(value(text, 'peerwatch_alert_last_raised_timestamp_seconds{name="inbound-churn",severity="warning",peer=""}')).toBe(1_000_000);
    expect(value(text, 'peerwatch_alert_last_raised_timestamp_seconds{name="addr-spam",severity="warning",peer=""}')).toBe(1_000_000);
    for (let i = 0; i < MAX_ALERT_SERIES + 50; i++) {
      handle(
        makeEvent("ebpf", "n", "net.connection", { kind: "inbound", peerId: 1000 + i, addr: `198.51.100.${i % 250}:${8000 + i}`, connType: "inbound" }, T0),
      );
      handle(makeEvent("peerwatch", "n", "alert", { name: "listed-address", severity: "warning", peerId: 1000 + i, detail: "z" }, T0));
    }
    text = await registry.metrics();
    expect(text.split("\n").filter((l) => l.startsWith("peerwatch_alert_last_raised_timestamp_seconds{")).length).toBe(MAX_ALERT_SERIES);
    now += SERIES_TTL_SECONDS + 1;
    text = await registry.metrics();
    expect(text.split("\n").filter((l) => l.startsWith("peerwatch_alert_last_raised_timestamp_seconds{")).length).toBe(0);
  });
});

describe("peer traffic and netgroups", () => {
  it("netgroups are an IPv4 /16, an IPv6 /32, else the network", () => {
    expect(netgroup("203.0.113.7:8333", "ipv4")).toBe("203.0.0.0/16");
    expect(netgroup("[2001:db8:1:2::1]:8333", "ipv6")).toBe("2001:db8::/32");
    expect(netgroup("[::1]:8333", "ipv6")).toBe("0:0::/32");
    expect(netgroup("abcdefghijklmnop.onion:8333", "onion")).toBe("onion");
  });

  it("names only the busiest peers and the largest netgroups, rebuilt from each snapshot", async () => {
    const registry = new Registry();
    const handle = registerPeerTrafficMetrics(registry);
    const peers = Array.from({ length: 30 }, (_, i) => ({
      ...peer(i),
      addr: `10.${i % 3}.0.${i}:8333`,
      inbound: i % 2 === 0,
      bytesSent: i * 100,
      bytesRecv: i * 1000,
    }));
    handle(makeEvent("rpc", "n", "peers.snapshot", { peers }, T0));
    let text = await registry.metrics();
    const named = text.split("\n").filter((l) => l.startsWith("peerwatch_top_peers_bytes{"));
    expect(named.length).toBe(TOP_PEERS * 2);
    expect(value(text, 'peerwatch_top_peers_bytes{peer="10.2.0.29:8333",direction="received"}')).toBe(29_000);
    expect(value(text, 'peerwatch_top_peers_bytes{peer="10.0.0.0:8333",direction="received"}')).toBeUndefined();
    expect(value(text, 'peerwatch_peers_netgroups{direction="inbound"}')).toBe(3);
    expect(value(text, 'peerwatch_top_netgroup_peers{netgroup="10.0.0.0/16",direction="inbound"}')).toBe(5);
    handle(makeEvent("rpc", "n", "peers.snapshot", { peers: peers.slice(0, 1) }, T0 + 1));
    text = await registry.metrics();
    expect(text.split("\n").filter((l) => l.startsWith("peerwatch_top_peers_bytes{")).length).toBe(2);
  });
});

describe("replayed source states", () => {
  it("go to peerwatch_replayed_source_up while a replay plays, not to peerwatch_source_up", async () => {
    const bus = new MemoryBus({ nodeName: "n" });
    const { registry, handle } = createMetricsRegistry(bus, loadIpLists());
    handle(makeEvent("replay", "n", "source.status", { source: "replay", state: "up", detail: "replaying" }, T0));
    handle(makeEvent("ipc", "n", "source.status", { source: "ipc", state: "up", detail: "recorded" }, T0));
    let text = await registry.metrics();
    expect(value(text, 'peerwatch_source_up{source="ipc"}')).toBe(0);
    expect(value(text, 'peerwatch_replayed_source_up{source="ipc"}')).toBe(1);
    expect(value(text, 'peerwatch_source_up{source="replay"}')).toBe(1);
    handle(makeEvent("replay", "n", "source.status", { source: "replay", state: "down", detail: "stopped" }, T0));
    handle(makeEvent("ipc", "n", "source.status", { source: "ipc", state: "up", detail: "live" }, T0));
    text = await registry.metrics();
    expect(value(text, 'peerwatch_source_up{source="ipc"}')).toBe(1);
    await bus.close();
  });
});
