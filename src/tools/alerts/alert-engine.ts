// Runs the heuristics on the bus and publishes their alerts as `alert` events (source
// "peerwatch"), each (name, peer) at most once per repeat interval so an ongoing attack is one
// alert, not thousands.
import type { EventBus, Subscription } from "../../bus/index.js";
import { FactSourceSelector, makeEvent, type PeerwatchEvent } from "../../events/index.js";
import type { PrefixTree } from "../iplists/prefix-tree.js";
import { AddrSpam, InboundChurn, ListedAddress, LowFeeFilter, PingSpam, ProcessingBacklog, V2ShareDrop, type AlertData, type Due, type Heuristic } from "./heuristics.js";
import type { Thresholds } from "./thresholds.js";
import { detectorHeuristics } from "./detectors.js";

export function defaultHeuristics(t: Thresholds, lists: PrefixTree): Heuristic[] {
  return [new PingSpam(t), new AddrSpam(t), new InboundChurn(t), new ProcessingBacklog(t), new ListedAddress(lists), new LowFeeFilter(t), new V2ShareDrop(t), ...detectorHeuristics(t)];
}

/** Alerts (name, peer) remembered for de-duplication; the oldest are forgotten first. */
const MAX_RAISED = 50_000;

export class AlertEngine {
  private readonly lastRaised = new Map<string, number>();
  /** The heuristics that want each event type, worked out once per type (types are few). */
  private readonly byType = new Map<string, Heuristic[]>();
  private now = 0;
  private readonly oneSource = new FactSourceSelector();
  private readonly due: Due = (name, peerId) => {
    const last = this.lastRaised.get(`${name}|${peerId ?? ""}`);
    return last === undefined || this.now - last >= this.t.repeatSeconds * 1_000_000;
  };

  constructor(
    private readonly heuristics: Heuristic[],
    private readonly t: Thresholds,
  ) {}

  /** Feeds one event to every heuristic; returns the alerts to raise now (after de-duplication). */
  onEvent(e: PeerwatchEvent): AlertData[] {
    // The same message seen by IPC tracing and eBPF (or the log) is one message to the heuristics.
    if (!this.oneSource.accept(e)) return [];
    let wanted = this.byType.get(e.type);
    if (wanted === undefined) {
      wanted = this.heuristics.filter((h) => h.prefixes.some((p) => e.type.startsWith(p)));
      if (this.byType.size < 1024) this.byType.set(e.type, wanted);
    }
    if (wanted.length === 0) return [];
    this.now = e.ts;
    let out: AlertData[] | undefined;
    for (const h of wanted) {
      const raised = h.onEvent(e, this.due);
      if (raised.length === 0) continue;
      for (const a of raised) {
        const key = `${a.name}|${a.peerId ?? ""}`;
        const last = this.lastRaised.get(key);
        if (last !== undefined && e.ts - last < this.t.repeatSeconds * 1_000_000) continue;
        this.lastRaised.set(key, e.ts);
        if (this.lastRaised.size > MAX_RAISED) this.lastRaised.delete(this.lastRaised.keys().next().value as string);
        (out ??= []).push(a);
      }
    }
    return out ?? [];
  }

  /** Subscribes to what the heuristics need and publishes alerts back on the bus. */
  attach(bus: EventBus, nodeName: string): Subscription {
    const prefixes = [...new Set(this.heuristics.flatMap((h) => h.prefixes))];
    return bus.subscribe({ name: "alerts", prefixes, maxQueue: 100_000 }, (e) => {
      // Stamped with the time of the event that raised it: the same live (≈ now) and in a replay.
      const raised = this.onEvent(e);
      for (let i = 0; i < raised.length; i++) bus.publish(makeEvent("peerwatch", nodeName, "alert", raised[i]!, e.ts));
    });
  }
}
