// What the NATS bus loses, counted by source and reason (`nats:publish`: not sent; `nats:receive`:
// a foreign or malformed message) and reported as one `events.dropped` per (source, reason) that
// lost events since the last report, so the metrics tool counts the loss like any other.
import { makeEvent, type PeerwatchEvent } from "../../events/index.js";

interface Drop {
  source: string;
  reason: string;
  count: number;
  reported: number;
}

export class DropReports {
  private readonly drops = new Map<string, Drop>();

  /** `emit` takes each report (the bus puts it before its subscribers and the caller's `onReport`). */
  constructor(
    private readonly nodeName: string,
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
}
