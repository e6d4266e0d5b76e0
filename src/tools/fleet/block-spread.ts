// A block reaching your nodes at different times: the spread between the first and the last node
// to connect it. A node that is regularly late is badly connected, eclipsed or overloaded.
// Timestamps are each node's own clock (keep them NTP-synced). State: the last FLEET_LIMITS.blocks
// block hashes.
import type { PeerwatchEvent } from "../../events/index.js";
import { FLEET_LIMITS, type FleetThresholds } from "./thresholds.js";
import type { FleetAlert } from "./types.js";

export interface BlockSeen {
  hash: string;
  height: number;
  /** node → when it connected the block (µs). */
  at: Map<string, number>;
  /** Nodes already reported late for this block. */
  alerted: Set<string>;
}

export class BlockSpread {
  readonly prefixes = ["block.connected"];
  private readonly blocks = new Map<string, BlockSeen>();
  /** Called when a further node connects a block: its lateness and the block's spread so far, seconds. */
  onSpread: ((lateSeconds: number, spreadSeconds: number, block: BlockSeen) => void) | undefined;

  constructor(private readonly t: FleetThresholds) {}

  onEvent(e: PeerwatchEvent): FleetAlert[] {
    if (e.type !== "block.connected") return [];
    let b = this.blocks.get(e.data.hash);
    if (!b) {
      b = { hash: e.data.hash, height: e.data.height, at: new Map(), alerted: new Set() };
      this.blocks.set(e.data.hash, b);
      if (this.blocks.size > FLEET_LIMITS.blocks) this.blocks.delete(this.blocks.keys().next().value as string);
    }
    if (b.at.has(e.node)) return [];
    b.at.set(e.node, e.ts);
    if (b.at.size < 2) return [];
    const first = Math.min(...b.at.values());
    const firstNode = [...b.at].find(([, t]) => t === first)![0];
    this.onSpread?.(Math.max(0, (e.ts - first) / 1e6), (Math.max(...b.at.values()) - first) / 1e6, b);
    // Events of different nodes may arrive out of order: the late node may have been seen first.
    const out: FleetAlert[] = [];
    for (const [node, t] of b.at) {
      const late = (t - first) / 1e6;
      if (late < this.t.blockLateSeconds || b.alerted.has(node)) continue;
      b.alerted.add(node);
      out.push({
        name: "fleet-block-late",
        severity: "warning",
        subject: `${node}|${b.hash}`,
        detail: `node ${node} connected block ${b.height} (${b.hash.slice(0, 16)}…) ${late.toFixed(1)} s after ${firstNode}`,
      });
    }
    return out;
  }
}
