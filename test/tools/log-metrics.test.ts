// The metrics the log source and node identity feed: line counts from cumulative log.lines events,
// disconnect causes, refused inbound connections, and the node_info gauge.
import { describe, expect, it } from "vitest";
import { MemoryBus } from "../../src/bus/index.js";
import { DEFAULT_LISTS_DIR, loadIpLists } from "../../src/iplists/load-lists.js";
import { createMetricsRegistry } from "../../src/tools/metrics/index.js";
import { ev } from "../helpers/events.js";

async function metricsAfter(events: ReturnType<typeof ev>[]): Promise<string> {
  const bus = new MemoryBus({ nodeName: "t" });
  const { registry, handle } = createMetricsRegistry(bus, loadIpLists(DEFAULT_LISTS_DIR));
  events.forEach(handle);
  const text = await registry.metrics();
  await bus.close(100);
  return text;
}

const value = (text: string, series: string) => {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe("log and node identity metrics", () => {
  it("counts log lines from cumulative totals, across a restart of the source", async () => {
    const t = await metricsAfter([
      ev("log.lines", { parsed: { "update-tip": 10 }, unknown: { net: 3 }, truncated: 1, throttled: 0 }, 0, "log"),
      ev("log.lines", { parsed: { "update-tip": 15, message: 4 }, unknown: { net: 5, none: 2 }, truncated: 1, throttled: 2 }, 10, "log"),
      ev("log.lines", { parsed: { "update-tip": 2 }, unknown: {}, truncated: 0, throttled: 0 }, 20, "log"), // source restarted
    ]);
    expect(value(t, 'peerwatch_log_lines_total{kind="update-tip"}')).toBe(17);
    expect(value(t, 'peerwatch_log_lines_total{kind="message"}')).toBe(4);
    expect(value(t, 'peerwatch_log_unknown_lines_total{category="net"}')).toBe(5);
    expect(value(t, 'peerwatch_log_unknown_lines_total{category="none"}')).toBe(2);
    expect(value(t, "peerwatch_log_truncated_lines_total")).toBe(1);
    expect(value(t, "peerwatch_log_throttled_total")).toBe(2);
  });

  it("counts disconnect causes, refused connections, rate-limited addresses", async () => {
    const t = await metricsAfter([
      ev("peer.disconnecting", { peerId: 1, cause: "ping_timeout", detail: "ping timeout: 1200s", pingWaitSeconds: 1200 }, 0, "log"),
      ev("peer.disconnecting", { peerId: 2, cause: "stalling", detail: "Peer is stalling block download" }, 1, "log"),
      ev("net.inbound_refused", { addr: "192.0.2.1:1", reason: "banned" }, 2, "log"),
      ev("addr.received", { peerId: 3, addresses: 1000, processed: 10, rateLimited: 990 }, 3, "log"),
    ]);
    expect(value(t, 'peerwatch_peer_disconnects_total{cause="ping_timeout"}')).toBe(1);
    expect(value(t, 'peerwatch_peer_disconnects_total{cause="stalling"}')).toBe(1);
    expect(value(t, 'peerwatch_inbound_refused_total{reason="banned"}')).toBe(1);
    expect(value(t, "peerwatch_addr_rate_limited_total")).toBe(990);
  });

  it("shows the newest node identity only", async () => {
    const t = await metricsAfter([
      ev("node.info", { implementation: "Bitcoin Core", version: "31.99.0" }, 0, "rpc"),
      ev("node.info", { implementation: "Bitcoin Knots", version: "31.99.0", implementationVersion: "20250101-abc" }, 1, "p2p"),
    ]);
    expect(value(t, 'peerwatch_node_info{implementation="Bitcoin Knots",version="31.99.0"}')).toBe(1);
    expect(t).not.toContain('implementation="Bitcoin Core"');
  });
});
