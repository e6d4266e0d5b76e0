// How a source says how it is: source.status events, without repeating itself. A retry that fails
// the same way as the last one is not news; a change of state or of reason is.
import type { Emit, SourceName } from "../events/index.js";

export class StatusReporter {
  private last = "";

  constructor(
    private readonly emit: Emit,
    private readonly source: SourceName,
  ) {}

  report(state: "up" | "down" | "degraded", detail: string, capabilities?: string[]): void {
    const key = `${state}|${detail}`;
    if (key === this.last) return;
    this.last = key;
    this.emit("source.status", { source: this.source, state, detail, ...(capabilities ? { capabilities } : {}) });
  }

  /** The next report goes out even if it repeats the last one (something happened in between). */
  forget(): void {
    this.last = "";
  }
}
