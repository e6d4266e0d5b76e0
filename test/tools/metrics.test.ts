// Scripted events through the bus into the metrics tool; checks of the scraped /metrics text.
import http from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { MemoryBus } from "../../src/bus/index.js";
import type { PeerwatchEvent } from "../../src/events/index.js";
import { DEFAULT_LISTS_DIR, loadIpLists } from "../../src/iplists/load-lists.js";
import { startMetricsTool, type MetricsTool } from "../../src/tools/metrics/index.js";
import { captureJson } from "../helpers/capture.js";
import { ev, msg, peer } from "../helpers/events.js";
import { seriesValue as value } from "../helpers/live-metrics.js";

const lists = loadIpLists(DEFAULT_LISTS_DIR);
let bus: MemoryBus;
let tool: MetricsTool;
afterEach(async () => {
  await tool?.close();
  await bus?.close(100);
});

async function feed(events: PeerwatchEvent[]): Promise<string> {
  bus = new MemoryBus({ nodeName: "t" });
  tool = await startMetricsTool(bus, { host: "127.0.0.1", port: 0 }, lists);
  for (const e of events) bus.publish(e);
  while (tool.subscription.pending > 0) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 5));
  return scrape();
}

function scrape(): Promise<string> {
  const { host, port } = tool.server!.address;
  return new Promise((resolve, reject) => {
    http
      .get({ host, port, path: "/metrics" }, (res) => {
        let b = "";
        res.on("data", (d: Buffer) => (b += d.toString()));
        res.on("end", () => resolve(b));
      })
      .on("error", reject);
  });
}

describe("metrics", () => {
  it("counts P2P messages and bytes by type, direction and connection type; bounds unknown types", async () => {
    const text = await feed([
      ev("net.message", msg(1, "ping"), 0),
      ev("net.message", msg(1, "ping"), 1),
      ev("net.message", { ...msg(2, "inv", "out", 37), connType: "outbound-full-relay", decoded: { entries: 1, invTypes: { wtx: 1 } } }, 2),
      ev("net.message", msg(3, "xyzzy", "in", 100), 3),
      ev("net.message", msg(3, "addrv2", "in", 500, { decoded: { entries: 50, networks: { ipv4: 50 } } }), 4),
      ev("net.message", msg(4, "feefilter", "in", 8, { decoded: { feeRateSatVb: 0.1 } }), 5),
    ]);
    expect(value(text, 'peerwatch_p2p_messages_total{msg_type="ping",direction="in",conn_type="inbound"}')).toBe(2);
    expect(value(text, 'peerwatch_p2p_message_bytes_total{msg_type="ping",direction="in",conn_type="inbound"}')).toBe(16);
    expect(value(text, 'peerwatch_p2p_messages_total{msg_type="inv",direction="out",conn_type="outbound-full-relay"}')).toBe(1);
    expect(value(text, 'peerwatch_p2p_messages_total{msg_type="other",direction="in",conn_type="inbound"}')).toBe(1);
    expect(value(text, 'peerwatch_p2p_inv_entries_total{inv_type="wtx",direction="out"}')).toBe(1);
    expect(value(text, 'peerwatch_p2p_addr_entries_bucket{le="50",msg_type="addrv2",direction="in"}')).toBe(1);
    expect(value(text, 'peerwatch_p2p_addr_entries_bucket{le="10",msg_type="addrv2",direction="in"}')).toBe(0);
    expect(value(text, 'peerwatch_p2p_feefilter_sat_per_vbyte_bucket{le="0.1",direction="in"}')).toBe(1);
    expect(value(text, "peerwatch_p2p_inbound_ping_payload_bytes_count")).toBe(2);
  });

  it("counts connections by kind and network, and bounds misbehaving reasons", async () => {
    const events = [
      ev("net.connection", { kind: "inbound", peerId: 1, addr: "1.2.3.4:1", connType: "inbound", network: "ipv4", existing: 7 }, 0),
      ev("net.connection", { kind: "closed", peerId: 1, addr: "1.2.3.4:1", connType: "inbound", network: "ipv4", connectedAt: 5 }, 1),
      ...Array.from({ length: 80 }, (_, i) => ev("net.connection", { kind: "misbehaving", peerId: i, reason: `reason number ${i}: detail ${i}` }, 2)),
    ];
    const text = await feed(events);
    expect(value(text, 'peerwatch_connections_total{kind="inbound",network="ipv4"}')).toBe(1);
    expect(value(text, 'peerwatch_connections_total{kind="closed",network="ipv4"}')).toBe(1);
    expect(value(text, 'peerwatch_connections_current{direction="inbound"}')).toBe(7);
    expect(text.split("\n").filter((l) => l.startsWith("peerwatch_misbehaving_total{")).length).toBe(51); // 50 + "other"
    expect(value(text, 'peerwatch_misbehaving_total{reason="other"}')).toBe(30);
  });

  it("tracks the chain, blocks and the mempool", async () => {
    const H = "2f19d430e8274b2f98d467d0139ed51b49b77f242bb728a06737fd6ddb81b2c7";
    const text = await feed([
      ev("tip.changed", { height: 111, hash: H }, 0, "ipc"),
      ev("block.connected", { hash: H, height: 111, txs: 6, inputs: 5, sigops: 4, connectNs: 20_000_000 }, 0),
      ev("mempool.added", { txid: H, vsize: 141, fee: 1410 }, 1),
      ev("mempool.removed", { txid: H, reason: "block", vsize: 141, fee: 1410, entryTime: 1 }, 2),
      ev("mempool.rejected", { txid: H, reason: "min relay fee not met, 0 < 10" }, 3),
      ev("rpc.snapshot", { method: "getmempoolinfo", result: captureJson("rpc/getmempoolinfo.json") as never }, 4, "rpc"),
      ev("rpc.snapshot", { method: "getaddrmaninfo", result: captureJson("rpc/getaddrmaninfo.json") as never }, 4, "rpc"),
    ]);
    expect(value(text, "peerwatch_tip_height")).toBe(111);
    expect(value(text, "peerwatch_tip_age_seconds")).toBeGreaterThanOrEqual(0);
    expect(value(text, 'peerwatch_block_connect_seconds_bucket{le="0.05"}')).toBe(1);
    expect(value(text, "peerwatch_block_connected_sigops")).toBe(4);
    expect(value(text, 'peerwatch_mempool_transactions_total{kind="removed",reason="block"}')).toBe(1);
    expect(value(text, 'peerwatch_mempool_transactions_total{kind="rejected",reason="min relay fee not met, 0 < 10"}')).toBe(1);
    expect(value(text, 'peerwatch_mempool_vbytes_total{kind="added",reason=""}')).toBe(141);
    expect(value(text, "peerwatch_mempool_min_fee_sat_per_vbyte")).toBeCloseTo(0.1);
    expect(value(text, 'peerwatch_addrman_addresses{network="all_networks",table="new"}')).toBe(0);
  });

  it("summarises peers.snapshot without per-peer labels", async () => {
    const peers = [
      peer(1, { transport: "v1", pingMs: 10, minPingMs: 5, timeOffset: 30, bip152HbFrom: true, minFeeFilterSatVb: 0.1, mappedAs: 64500 }),
      peer(2, { pingMs: 20, minPingMs: 15, mappedAs: 64500, inflightBlocks: 2, addrRateLimited: 7 }),
      peer(3, { addr: "162.218.65.10:8333", pingMs: 60, minPingMs: 30, mappedAs: 64501, network: "ipv4", connectionType: "inbound" }),
    ];
    const text = await feed([ev("peers.snapshot", { peers }, 0, "rpc")]);
    expect(value(text, 'peerwatch_peers{network="ipv4",conn_type="inbound",transport="v2"}')).toBe(2); // peers 2 and 3
    expect(value(text, 'peerwatch_peers{network="ipv4",conn_type="outbound-full-relay",transport="v1"}')).toBe(1);
    expect(value(text, 'peerwatch_peers_ping_seconds{stat="median"}')).toBeCloseTo(0.02);
    expect(value(text, 'peerwatch_peers_min_ping_seconds{stat="mean"}')).toBeCloseTo(0.01667, 4);
    expect(value(text, "peerwatch_peers_clock_offset_beyond_10s")).toBe(1);
    expect(value(text, 'peerwatch_peers_bip152_high_bandwidth{direction="from"}')).toBe(1);
    expect(value(text, "peerwatch_peers_relaying_below_1_sat_vb")).toBe(1);
    expect(value(text, 'peerwatch_peers_listed{list="linkinglion"}')).toBe(1);
    expect(value(text, 'peerwatch_peers_listed{list="banlist"}')).toBe(0);
    expect(value(text, "peerwatch_peers_distinct_asns")).toBe(2);
    expect(value(text, "peerwatch_peers_with_inflight_blocks")).toBe(1);
    expect(value(text, "peerwatch_peers_addr_rate_limited")).toBe(7);
    expect(value(text, "peerwatch_peers_v2_transport_ratio")).toBeCloseTo(2 / 3);
    expect(value(text, 'peerwatch_peers_by_protocol_version{version="70016"}')).toBe(3);
  });

  it("turns thread CPU snapshots into a counter per thread name, across node restarts", async () => {
    const snap = (pid: number, cpu: number, at: number) =>
      ev(
        "threads.snapshot",
        {
          pid,
          threads: [
            { tid: pid + 1, name: "b-msghand", userSeconds: cpu, systemSeconds: 1 },
            { tid: pid + 2, name: "b-httpworker.3", userSeconds: 1, systemSeconds: 0 },
          ],
        },
        at,
        "proc",
      );
    const text = await feed([snap(100, 10, 0), snap(100, 15, 10), snap(200, 2, 20)]);
    expect(value(text, 'peerwatch_node_thread_cpu_seconds_total{thread="b-msghand"}')).toBe(11 + 5 + 3);
    expect(value(text, 'peerwatch_node_thread_cpu_seconds_total{thread="b-httpworker"}')).toBe(2);
  });

  it("exposes peerwatch's own health: events, drops, sources, alerts, restarts", async () => {
    const text = await feed([
      ev("source.status", { source: "ebpf", state: "up", detail: "attached" }, 0),
      ev("source.status", { source: "ebpf", state: "down", detail: "bpftrace exited" }, 1),
      ev("source.status", { source: "ipc", state: "degraded", detail: "no Rpc" }, 1, "ipc"),
      ev("events.dropped", { source: "ebpf", count: 500, reason: "bpftrace lost events: its perf buffer was full" }, 2),
      ev("events.dropped", { source: "ebpf", count: 2, reason: "unparseable bpftrace records (last: M record: bad)" }, 2),
      ev("alert", { name: "ping-spam", severity: "warning", peerId: 3, detail: "x" }, 3, "peerwatch"),
    ]);
    expect(value(text, 'peerwatch_source_up{source="ebpf"}')).toBe(0);
    expect(value(text, 'peerwatch_source_up{source="ipc"}')).toBe(0.5);
    expect(value(text, 'peerwatch_source_restarts_total{source="ebpf"}')).toBe(1);
    expect(value(text, 'peerwatch_events_dropped_total{source="ebpf",reason="bpftrace lost events"}')).toBe(500);
    expect(value(text, 'peerwatch_events_dropped_total{source="ebpf",reason="unparseable bpftrace records"}')).toBe(2);
    expect(value(text, 'peerwatch_alerts_total{name="ping-spam",severity="warning"}')).toBe(1);
    expect(value(text, 'peerwatch_events_total{source="ebpf",type="source.status"}')).toBe(2);
    expect(value(text, "process_resident_memory_bytes")).toBeGreaterThan(0);
  });

  it("scrapes quickly with 1000 peers while events stream", async () => {
    const peers = Array.from({ length: 1000 }, (_, i) =>
      peer(i, { transport: i % 3 ? "v2" : "v1", network: i % 5 ? "ipv4" : "onion", addr: i % 5 ? `198.51.${i >> 8}.${i & 255}:8333` : `x${i}.onion:8333` }),
    );
    await feed([ev("peers.snapshot", { peers }, 0, "rpc")]);
    let streaming = true;
    let sent = 0;
    const pump = (async () => {
      while (streaming) {
        for (let i = 0; i < 500; i++) bus.publish(ev("net.message", msg(i % 1000, i % 2 ? "inv" : "tx", "in", 100), sent++));
        bus.publish(ev("peers.snapshot", { peers }, sent, "rpc"));
        await new Promise((r) => setImmediate(r));
      }
    })();
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      const text = await scrape();
      times.push(performance.now() - t0);
      expect(text).toContain("peerwatch_peers{");
    }
    streaming = false;
    await pump;
    times.sort((a, b) => a - b);
    // A guard against pathological scrapes (series per peer, O(n²) work), not a benchmark:
    // bench/ measures the figure.
    expect(times[5]).toBeLessThan(250);
    expect(sent).toBeGreaterThan(0);
  });
});
