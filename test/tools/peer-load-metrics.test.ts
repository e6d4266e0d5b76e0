// cpu_load and inv_to_send as bounded metrics: max, sum and the top five by rank, whatever the
// number of peers; nothing at all while the node reports neither (Core has no cpu_load).
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { registerPeerLoadMetrics } from "../../src/tools/metrics/peer-load-metrics.js";
import { ev, peer } from "../helpers/events.js";

describe("peer load metrics", () => {
  it("exports max, sum and top-5 ranks of cpu_load and inv_to_send, with no per-peer series", async () => {
    const registry = new Registry();
    const handle = registerPeerLoadMetrics(registry);
    handle(ev("peers.snapshot", { peers: Array.from({ length: 300 }, (_, i) => peer(i, { cpuLoad: i === 7 ? 0.9 : 0.001, invToSend: i * 10 })) }, 0, "rpc"));
    const text = await registry.metrics();
    expect(text).toContain('peerwatch_peers_cpu_load{stat="max"} 0.9');
    expect(text).toMatch(/peerwatch_peers_cpu_load\{stat="sum"\} 1\.19[0-9]*/);
    expect(text).toContain('peerwatch_peers_inv_to_send{stat="max"} 2990');
    expect(text).toContain('peerwatch_peers_inv_to_send{stat="sum"} 448500');
    expect(text).toContain('peerwatch_peers_inv_to_send_top{rank="5"} 2950');
    expect(text.split("\n").filter((l) => l.startsWith("peerwatch_peers_")).length).toBe(2 + 5 + 2 + 5);
  });
  it("stays empty for a node that reports neither field", async () => {
    const registry = new Registry();
    registerPeerLoadMetrics(registry)(ev("peers.snapshot", { peers: [peer(1), peer(2)] }, 0, "rpc"));
    expect((await registry.metrics()).split("\n").filter((l) => l.startsWith("peerwatch_peers_"))).toEqual([]);
  });
});
