// Runs the heuristics on the bus and publishes their alerts as `alert` events (source
// "peerwatch"), each (name, peer) at most once per repeat interval so an ongoing attack is one
// alert, not thousands.
import type { EventBus, Subscription } from "../../bus/index.js";
import { makeEvent, type PeerwatchEvent } from "../../events/index.js";
import type { PrefixTree } from "../iplists/prefix-tree.js";
import { AddrSpam, InboundChurn, ListedAddress, LowFeeFilter, PingSpam, ProcessingBacklog, V2ShareDrop, type AlertData, type Heuristic } from "./heuristics.js";
import type { Thresholds } from "./thresholds.js";

export function defaultHeuristics(t: Thresholds, lists: PrefixTree): Heuristic[] {
  return [new PingSpam(t), new AddrSpam(t), new InboundChurn(t), new ProcessingBacklog(t), new ListedAddress(lists), new LowFeeFilter(t), new V2ShareDrop(t)];
}

export class AlertEngine {
  private readonly lastRaised = new Map<string, number>();

  constructor(
    private readonly heuristics: Heuristic[],
    private readonly t: Thresholds,
  ) {}

  /** Feeds one event to every heuristic; returns the alerts to raise now (after de-duplication). */
  onEvent(e: PeerwatchEvent): AlertData[] {
    const out: AlertData[] = [];
    for (const h of this.heuristics) {
      if (!h.prefixes.some((p) => e.type.startsWith(p))) continue;
      for (const a of h.onEvent(e)) {
        const key = `${a.name}|${a.peerId ?? ""}`;
        const last = this.lastRaised.get(key);
        if (last !== undefined && e.ts - last < this.t.repeatSeconds * 1_000_000) continue;
        this.lastRaised.set(key, e.ts);
        if (this.lastRaised.size > 50_000) this.lastRaised.delete(this.lastRaised.keys().next().value as string);
        out.push(a);
      }
    }
    return out;
  }

  /** Subscribes to what the heuristics need and publishes alerts back on the bus. */
  attach(bus: EventBus, nodeName: string): Subscription {
    const prefixes = [...new Set(this.heuristics.flatMap((h) => h.prefixes))];
    return bus.subscribe({ name: "alerts", prefixes, maxQueue: 100_000 }, (e) => {
      // Stamped with the time of the event that raised it: the same live (≈ now) and in a replay.
      for (const a of this.onEvent(e)) bus.publish(makeEvent("peerwatch", nodeName, "alert", a, e.ts));
    });
  }
}
