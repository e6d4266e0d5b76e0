// The compare analysis: a pure function of an event stream (live from the bus or read from a
// recording). Each kind of fact has its own tally; `report()` can be called at any time.
import type { PeerwatchEvent } from "../../events/index.js";
import { BlockTally } from "./block-tally.js";
import { CostTally } from "./cost-tally.js";
import { MessageTally } from "./message-tally.js";
import { PeerTally } from "./peer-tally.js";
import type { CompareReport } from "./report.js";
import { SourceTally } from "./source-tally.js";

export class Comparer {
  private readonly sources = new SourceTally();
  private readonly blocks = new BlockTally();
  private readonly peers = new PeerTally();
  private readonly messages = new MessageTally();
  private readonly cost = new CostTally();
  private events = 0;
  private start: number | undefined;
  private end: number | undefined;
  private lost = 0;
  /** Input lines that were not events (set by whoever reads a recording). */
  invalidLines = 0;

  add(e: PeerwatchEvent): void {
    this.events++;
    this.start = Math.min(this.start ?? e.ts, e.ts);
    this.end = Math.max(this.end ?? e.ts, e.ts);
    // The bus dropping the compare tool's own events makes every comparison below incomplete.
    if (e.type === "events.dropped" && e.data.source === "bus:compare") this.lost += e.data.count;
    this.sources.add(e);
    this.blocks.add(e);
    this.peers.add(e);
    this.messages.add(e);
    this.cost.add(e);
  }

  report(): CompareReport {
    const seconds = this.start === undefined || this.end === undefined ? 0 : Math.round((this.end - this.start) / 1000) / 1000;
    return {
      window: { startTs: this.start ?? null, endTs: this.end ?? null, seconds },
      sources: this.sources.report(),
      blocks: this.blocks.report(),
      peers: this.peers.report(),
      messages: this.messages.report(),
      cost: this.cost.report(),
      input: { events: this.events, invalidLines: this.invalidLines, lost: this.lost },
    };
  }
}

/** The report of a whole event stream. */
export function compareEvents(events: Iterable<PeerwatchEvent>): CompareReport {
  const c = new Comparer();
  for (const e of events) c.add(e);
  return c.report();
}
