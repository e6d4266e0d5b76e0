// What a part of peerwatch loses, counted by source and reason and reported as one `events.dropped`
// per (source, reason) that lost events since the last report, so the metrics tool counts the loss
// like any other. The NATS bus counts here (`nats:publish`: not sent; `nats:receive`: a foreign or
// malformed message), and so does the event sink both event writers write through (event-sink.ts).
import { makeEvent, type PeerwatchEvent } from "../events/index.js";

interface Drop {
  source: string;
  reason: string;
  count: number;
  reported: number;
}

export class DropReports {
  private readonly drops = new Map<string, Drop>();

  /**
   * `emit` takes each report (the bus puts it before its subscribers and the caller's `onReport`).
   * `nodeName` is stamped on the reports; the NDJSON writer moves it to the node of the events it writes.
   */
  constructor(
    public nodeName: string,
    private readonly emit: (e: PeerwatchEvent) => void,
  ) {}

  count(source: string, reason: string, n = 1): void {
    const key = `${source}|${reason}`;
    const d = this.drops.get(key);
    if (d) d.count += n;
    else this.drops.set(key, { source, reason, count: n, reported: 0 });
  }

  /** One `events.dropped` per (source, reason) that lost events since the last report. */
  report(): void {
    for (const d of this.drops.values()) {
      const count = d.count - d.reported;
      if (count <= 0) continue;
      d.reported = d.count;
      this.emit(makeEvent("peerwatch", this.nodeName, "events.dropped", { source: d.source, count, reason: d.reason }));
    }
  }

  /** Drops since start, keyed "source: reason". */
  totals(): Record<string, number> {
    return Object.fromEntries([...this.drops.values()].map((d) => [`${d.source}: ${d.reason}`, d.count]));
  }

  /** What one source lost since start, by reason. */
  lostBy(source: string): Map<string, number> {
    const lost = new Map<string, number>();
    for (const d of this.drops.values()) if (d.source === source) lost.set(d.reason, d.count);
    return lost;
  }
}
