// One node's pinger RTT rising while the others stay flat: that node (not the network) is busy,
// e.g. a processing backlog under a flood. The median of each node's latest samples is compared
// with the median of the other nodes' medians.
import type { PeerwatchEvent } from "../../events/index.js";
import { FLEET_LIMITS, type FleetThresholds } from "./thresholds.js";
import type { FleetAlert } from "./types.js";

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export class RttDivergence {
  readonly prefixes = ["ping.rtt"];
  private readonly samples = new Map<string, number[]>();

  constructor(private readonly t: FleetThresholds) {}

  /** Median RTT (seconds) per node with enough samples. */
  medians(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [node, xs] of this.samples) if (xs.length >= this.t.rttSamples) out.set(node, median(xs));
    return out;
  }

  onEvent(e: PeerwatchEvent): FleetAlert[] {
    if (e.type !== "ping.rtt") return [];
    let xs = this.samples.get(e.node);
    if (!xs) {
      if (this.samples.size >= FLEET_LIMITS.nodes) return [];
      xs = [];
      this.samples.set(e.node, xs);
    }
    xs.push(e.data.rttNs / 1e9);
    if (xs.length > this.t.rttSamples) xs.shift();
    const medians = this.medians();
    const mine = medians.get(e.node);
    const others = [...medians].filter(([n]) => n !== e.node).map(([, m]) => m);
    if (mine === undefined || others.length === 0) return [];
    const usual = median(others);
    if (mine < usual * this.t.rttRatio || mine - usual < this.t.rttMinExcessSeconds) return [];
    return [
      {
        name: "fleet-rtt-divergence",
        severity: "warning",
        subject: e.node,
        detail:
          `node ${e.node}: median ping RTT ${(mine * 1000).toFixed(1)} ms while your other ${others.length} node(s) are at ` +
          `${(usual * 1000).toFixed(1)} ms`,
      },
    ];
  }
}
