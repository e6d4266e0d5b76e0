// The fleet heuristics on two nodes' recordings: shared inbound peers, a block reaching one node
// late, one node's RTT rising while the other's stays flat; and silence when nothing is shared.
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { FleetWatch } from "../../src/tools/fleet/fleet-watch.js";
import { prefixOf, SharedPeers } from "../../src/tools/fleet/shared-peers.js";
import { DEFAULT_FLEET_THRESHOLDS, FLEET_LIMITS } from "../../src/tools/fleet/thresholds.js";
import { makeEvent } from "../../src/events/index.js";
import { peer } from "../helpers/events.js";
import { makeRecording } from "../helpers/node-recording.js";

const run = (fleet: FleetWatch, events: ReturnType<typeof makeRecording>) => events.sort((x, y) => x.ts - y.ts).flatMap((e) => fleet.onEvent(e));

describe("fleet view", () => {
  it("names the nodes an inbound peer is connected to, the late node of a block and the node whose RTT rose", async () => {
    const a = makeRecording({ node: "alpha" });
    const b = makeRecording({ node: "beta", connBase: "198.18.0", offsetSeconds: 45, rttMs: (s) => (s > 60 ? 300 : 1) });
    const fleet = new FleetWatch();
    const registry = new Registry();
    fleet.registerMetrics(registry);
    const alerts = run(fleet, [...a, ...b]);
    const names = new Set(alerts.map((x) => x.name));
    expect(names).toEqual(new Set(["fleet-shared-peer", "fleet-block-late", "fleet-rtt-divergence"]));
    // Inbound peers of the recording are the even ids, at 198.51.100.<id>: each shared once (de-duplicated).
    const shared = alerts.filter((x) => x.name === "fleet-shared-peer");
    expect(shared.map((x) => x.subject).sort()).toEqual(["198.51.100.10", "198.51.100.12", "198.51.100.2", "198.51.100.4", "198.51.100.6", "198.51.100.8"]);
    expect(shared[0]!.detail).toMatch(/connected to 2 of your nodes at once: alpha, beta/);
    const late = alerts.filter((x) => x.name === "fleet-block-late");
    expect(late.length).toBe(4); // every block of the recording, 45 s late on beta
    expect(late[0]!.detail).toMatch(/^node beta connected block 105 .* 45\.0 s after alpha$/);
    const rtt = alerts.filter((x) => x.name === "fleet-rtt-divergence");
    expect(rtt).toHaveLength(1);
    // Raised as soon as the median of beta's last 10 samples (5 at 1 ms, 5 at 300 ms) is over 5 times alpha's.
    expect(rtt[0]!.detail).toMatch(/^node beta: median ping RTT 150\.5 ms while your other 1 node\(s\) are at 1\.0 ms$/);
    const text = await registry.metrics();
    expect(text).toMatch(/^peerwatch_fleet_nodes 2$/m);
    expect(text).toMatch(/^peerwatch_fleet_shared_inbound_peers 6$/m);
    expect(text).toMatch(/^peerwatch_fleet_block_spread_seconds 45$/m);
    expect(text).toMatch(/^peerwatch_fleet_block_lateness_seconds_count 4$/m);
    expect(text).toMatch(/^peerwatch_fleet_ping_rtt_median_seconds\{node="beta"\} 0\.3$/m);
  });

  it("names the late node even when its block event arrives before the first node's", () => {
    const fleet = new FleetWatch();
    const block = (node: string, atSeconds: number) =>
      makeEvent(
        "ebpf",
        node,
        "block.connected",
        { hash: "ab".repeat(32), height: 7, txs: 1, inputs: 1, sigops: 1, connectNs: 1 },
        1_795_470_000_000_000 + atSeconds * 1_000_000,
      );
    expect(fleet.onEvent(block("beta", 40))).toEqual([]);
    const alerts = fleet.onEvent(block("alpha", 0));
    expect(alerts.map((a) => a.detail)).toEqual([`node beta connected block 7 (${"ab".repeat(8)}…) 40.0 s after alpha`]);
  });

  it("stays silent when the nodes share nothing and keep in step", () => {
    const a = makeRecording({ node: "alpha", addrBase: "198.51.100" });
    const b = makeRecording({ node: "beta", addrBase: "192.0.2", connBase: "198.18.0", offsetSeconds: 2 });
    expect(run(new FleetWatch(), [...a, ...b])).toEqual([]);
  });

  it("raises fleet-shared-prefix for one /24 spread over three nodes, and forgets closed peers", () => {
    const shared = new SharedPeers(DEFAULT_FLEET_THRESHOLDS);
    const snapshot = (node: string, hosts: number[]) =>
      makeEvent("rpc", node, "peers.snapshot", { peers: hosts.map((h, i) => peer(2 * (i + 1), { addr: `203.0.113.${h}:8333`, inbound: true })) });
    expect(shared.onEvent(snapshot("n1", [1, 2]))).toEqual([]);
    expect(shared.onEvent(snapshot("n2", [3, 4]))).toEqual([]);
    const alerts = shared.onEvent(snapshot("n3", [5, 6]));
    expect(alerts).toEqual([
      {
        name: "fleet-shared-prefix",
        severity: "warning",
        subject: "203.0.113.0/24",
        detail: "6 inbound peers from 203.0.113.0/24 are connected to 3 of your nodes at once: n1, n2, n3",
      },
    ]);
    shared.onEvent(makeEvent("ebpf", "n3", "net.connection", { kind: "closed", peerId: 2 }));
    shared.onEvent(makeEvent("ebpf", "n3", "net.connection", { kind: "closed", peerId: 4 }));
    expect(shared.nodesWith("prefix:203.0.113.0/24")).toEqual(["n1", "n2"]);
    expect(prefixOf("2001:db8:abcd:12::1")).toBe("2001:db8:abcd::/48");
    expect(prefixOf("abcdefghij.onion")).toBeUndefined();
  });

  it("keeps its state bounded: at most FLEET_LIMITS.nodes nodes", () => {
    const shared = new SharedPeers(DEFAULT_FLEET_THRESHOLDS);
    for (let n = 0; n < FLEET_LIMITS.nodes + 10; n++) {
      shared.onEvent(makeEvent("ebpf", `n${n}`, "net.connection", { kind: "inbound", peerId: 1, addr: "198.51.100.7:1" }));
    }
    expect(shared.nodesWith("addr:198.51.100.7")).toHaveLength(FLEET_LIMITS.nodes);
  });
});
