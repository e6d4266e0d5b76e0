// Runs the heuristics on the bus and publishes their alerts as `alert` events (source
// "peerwatch"), each (name, peer) at most once per repeat interval so an ongoing attack is one
// alert, not thousands.
import type { EventBus, Subscription } from "../../bus/index.js";
import { FactSourceSelector, makeEvent, type PeerwatchEvent } from "../../events/index.js";
import type { PrefixTree } from "../../iplists/prefix-tree.js";
import {
  AddrSpam,
  InboundChurn,
  ListedAddress,
  LowFeeFilter,
  PingSpam,
  ProcessingBacklog,
  V2ShareDrop,
  type AlertData,
  type Due,
  type Heuristic,
} from "./heuristics.js";
import type { Thresholds } from "./thresholds.js";
import { detectorHeuristics } from "./detectors.js";

export function defaultHeuristics(t: Thresholds, lists: PrefixTree): Heuristic[] {
  return [
    new PingSpam(t),
    new AddrSpam(t),
    new InboundChurn(t),
    new ProcessingBacklog(t),
    new ListedAddress(lists),
    new LowFeeFilter(t),
    new V2ShareDrop(t),
    ...detectorHeuristics(t),
  ];
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
    return this.feed(e, this.wanted(e.type)) ?? [];
  }

  /**
   * Feeds a batch, event by event in order (each heuristic keeps its per-event interface), the
   * heuristics that want a type looked up once per run of that type; `raise` is called for each
   * alert with the event that raised it.
   */
  onBatch(events: readonly PeerwatchEvent[], raise: (a: AlertData, e: PeerwatchEvent) => void): void {
    let type = "";
    let wanted: Heuristic[] = [];
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      if (e.type !== type) {
        type = e.type;
        wanted = this.wanted(type);
      }
      if (wanted.length === 0 || !this.oneSource.accept(e)) continue;
      const raised = this.feed(e, wanted);
      if (raised !== undefined) for (let j = 0; j < raised.length; j++) raise(raised[j]!, e);
    }
  }

  private wanted(type: string): Heuristic[] {
    let wanted = this.byType.get(type);
    if (wanted === undefined) {
      wanted = this.heuristics.filter((h) => h.prefixes.some((p) => type.startsWith(p)));
      if (this.byType.size < 1024) this.byType.set(type, wanted);
    }
    return wanted;
  }

  private feed(e: PeerwatchEvent, wanted: Heuristic[]): AlertData[] | undefined {
    if (wanted.length === 0) return undefined;
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
    return out;
  }

  /** Subscribes to what the heuristics need and publishes alerts back on the bus. */
  attach(bus: EventBus, nodeName: string): Subscription {
    const prefixes = [...new Set(this.heuristics.flatMap((h) => h.prefixes))];
    // Stamped with the time of the event that raised it: the same live (≈ now) and in a replay.
    const raise = (a: AlertData, e: PeerwatchEvent): void => bus.publish(makeEvent("peerwatch", nodeName, "alert", a, e.ts));
    return bus.subscribeBatches({ name: "alerts", prefixes, maxQueue: 100_000 }, (events) => this.onBatch(events, raise));
  }
}
