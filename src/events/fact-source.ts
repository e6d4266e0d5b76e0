// Several sources can report the same fact: a P2P message is seen by IPC tracing, by eBPF and (with
// -debug=net) in the log; a connection likewise. Tools that count facts (metrics, alerts) must count
// each once, so they take such events from one source at a time: the best one that is reporting.
// A better source that starts reporting takes over at once; when the chosen one has been silent
// for a while (it went down), the next one that reports is taken. compare and the NDJSON stream see
// every source, which is their point.
import type { PeerwatchEvent, SourceName } from "./schema.js";

/** Event types more than one source reports, and the sources in order of preference. */
export const SHARED_FACTS: Readonly<Record<string, readonly SourceName[]>> = {
  "net.message": ["ipc", "ebpf", "log"],
  "net.connection": ["ipc", "ebpf", "log"],
};

/** How long the chosen source may be silent (by event time) before another is taken. */
export const FACT_SOURCE_SILENCE_US = 30_000_000;

export class FactSourceSelector {
  private readonly chosen = new Map<string, { source: SourceName; rank: number; lastTs: number }>();

  /** True when this event should be counted; false when another source reports this fact. */
  accept(e: PeerwatchEvent): boolean {
    const order = SHARED_FACTS[e.type];
    if (order === undefined) return true;
    const rank = order.indexOf(e.source);
    if (rank < 0) return true; // a replay of another kind, or a source that alone reports it
    const cur = this.chosen.get(e.type);
    if (cur === undefined || rank < cur.rank || (cur.source !== e.source && e.ts - cur.lastTs > FACT_SOURCE_SILENCE_US)) {
      this.chosen.set(e.type, { source: e.source, rank, lastTs: e.ts });
      return true;
    }
    if (cur.source !== e.source) return false;
    if (e.ts > cur.lastTs) cur.lastTs = e.ts;
    return true;
  }

  /** The source each shared fact is taken from now. */
  sources(): Record<string, SourceName> {
    return Object.fromEntries([...this.chosen].map(([t, c]) => [t, c.source]));
  }
}
