// Per source: how many events of each type, and how it said it was (its last source.status).
import type { PeerwatchEvent } from "../../events/index.js";
import type { SourceSummary } from "./report.js";

export class SourceTally {
  private readonly sources = new Map<string, SourceSummary>();

  add(e: PeerwatchEvent): void {
    const s = this.get(e.source);
    s.events++;
    s.byType[e.type] = (s.byType[e.type] ?? 0) + 1;
    if (e.type === "source.status") {
      // The status is about data.source (observe stamps "not started" reports with that name too).
      const about = this.get(e.data.source);
      if (e.data.state === "down" && about.state !== null && about.state !== "down") about.downs++;
      about.state = e.data.state;
      about.detail = e.data.detail;
      if (e.data.capabilities) about.capabilities = [...e.data.capabilities];
    }
  }

  report(): Record<string, SourceSummary> {
    return Object.fromEntries([...this.sources.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  private get(name: string): SourceSummary {
    let s = this.sources.get(name);
    if (!s) {
      s = { events: 0, byType: {}, state: null, detail: null, capabilities: [], downs: 0 };
      this.sources.set(name, s);
    }
    return s;
  }
}
