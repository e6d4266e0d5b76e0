// The fleet view: heuristics across the nodes one `tools` process reads (see docs/alerts.md,
// "Fleet view"). Alerts are published as `alert` events of this tools process (the nodes are named
// in the detail), each (name, subject) at most once per repeat interval; metrics go to the given
// registry.
import { Gauge, Histogram, type Registry } from "prom-client";
import type { EventBus, Subscription } from "../../bus/index.js";
import { makeEvent, type PeerwatchEvent } from "../../events/index.js";
import { BlockSpread } from "./block-spread.js";
import { RttDivergence } from "./rtt-divergence.js";
import { SharedPeers } from "./shared-peers.js";
import { DEFAULT_FLEET_THRESHOLDS, type FleetThresholds } from "./thresholds.js";
import type { FleetAlert } from "./types.js";

const MAX_DEDUP_KEYS = 10_000;

export class FleetWatch {
  readonly shared: SharedPeers;
  readonly blocks: BlockSpread;
  readonly rtt: RttDivergence;
  private readonly lastRaised = new Map<string, number>();
  private readonly nodes = new Set<string>();

  constructor(private readonly t: FleetThresholds = DEFAULT_FLEET_THRESHOLDS) {
    this.shared = new SharedPeers(t);
    this.blocks = new BlockSpread(t);
    this.rtt = new RttDivergence(t);
  }

  /** Feeds one event; returns the alerts to raise now (after de-duplication). */
  onEvent(e: PeerwatchEvent): FleetAlert[] {
    if (this.nodes.size < 1000) this.nodes.add(e.node);
    const out: FleetAlert[] = [];
    for (const h of [this.shared, this.blocks, this.rtt]) {
      if (!h.prefixes.some((p) => e.type.startsWith(p))) continue;
      for (const a of h.onEvent(e)) {
        const key = `${a.name}|${a.subject}`;
        const last = this.lastRaised.get(key);
        if (last !== undefined && e.ts - last < this.t.repeatSeconds * 1_000_000) continue;
        this.lastRaised.delete(key);
        this.lastRaised.set(key, e.ts);
        if (this.lastRaised.size > MAX_DEDUP_KEYS) this.lastRaised.delete(this.lastRaised.keys().next().value as string);
        out.push(a);
      }
    }
    return out;
  }

  /** Reads every node's events from the bus and publishes fleet alerts as `nodeName`'s. */
  attach(bus: EventBus, nodeName: string): Subscription {
    const prefixes = [...new Set([this.shared, this.blocks, this.rtt].flatMap((h) => h.prefixes))];
    return bus.subscribe({ name: "fleet", prefixes, maxQueue: 100_000 }, (e) => {
      for (const a of this.onEvent(e)) {
        bus.publish(makeEvent("peerwatch", nodeName, "alert", { name: a.name, severity: a.severity, detail: a.detail.slice(0, 2048) }));
      }
    });
  }

  registerMetrics(registry: Registry): void {
    const registers = [registry];
    const lateness = new Histogram({
      name: "peerwatch_fleet_block_lateness_seconds",
      help: "How long after the first of your nodes each other node connected a block",
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
      registers,
    });
    const spread = new Gauge({
      name: "peerwatch_fleet_block_spread_seconds",
      help: "Spread between the first and the last of your nodes to connect the latest block",
      registers,
    });
    this.blocks.onSpread = (late, total) => {
      lateness.observe(late);
      spread.set(total);
    };
    const { nodes, shared, rtt } = this;
    new Gauge({
      name: "peerwatch_fleet_nodes",
      help: "Nodes whose events this tools process has seen",
      registers,
      collect() {
        this.set(nodes.size);
      },
    });
    new Gauge({
      name: "peerwatch_fleet_shared_inbound_peers",
      help: "Inbound peer addresses connected to at least two of your nodes at once",
      registers,
      collect() {
        this.set(shared.countShared("addr", 2));
      },
    });
    new Gauge({
      name: "peerwatch_fleet_ping_rtt_median_seconds",
      help: "Median of each node's latest pinger RTT samples",
      labelNames: ["node"],
      registers,
      collect() {
        this.reset();
        for (const [node, m] of rtt.medians()) this.set({ node }, m);
      },
    });
  }
}
