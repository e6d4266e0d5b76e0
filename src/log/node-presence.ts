// Whether the node behind a followed debug.log is still there. The file outlives the node, so
// reading it says nothing about that: the node's own shutdown lines say it is going away, its PID
// (when peerwatch knows it) says whether it still runs, and a new startup line says it is back.
// The log source reports "down" while the node is gone, as the other sources do when it goes.
import type { findRunningNode } from "../sources/discover.js";

/** A shutdown line older than this is history being read back (--log-from start), not news. */
export const SHUTDOWN_LINE_FRESH_MS = 5 * 60_000;

export type PresenceChange = { gone: true; detail: string } | { gone: false; detail: string };

export class NodePresence {
  /** The PID last seen running: the PID check only speaks once the node has been seen. */
  private lastPid: number | undefined;
  private gone = false;
  /** Checks in a row that found no node: one is not enough, a node writing its PID file reads as none for a moment. */
  private misses = 0;

  constructor(
    private readonly findNode: () => ReturnType<typeof findRunningNode>,
    private readonly onChange: (c: PresenceChange) => void,
    private readonly now: () => number = Date.now,
  ) {}

  get isGone(): boolean {
    return this.gone;
  }

  /** A parsed line: its kind (line-kinds.ts) and its time in µs since the epoch, when it has one. */
  onLine(kind: string | undefined, tsUs: number | undefined): void {
    if (kind === "version") {
      if (!this.gone) return;
      // The old PID is this restart's, already told: the next check only learns the new one.
      this.lastPid = undefined;
      this.set(false, "the node started again (its startup line is in the log)");
      return;
    }
    if (kind !== "shutdown-started" && kind !== "shutdown-done") return;
    if (tsUs === undefined || this.now() - tsUs / 1000 > SHUTDOWN_LINE_FRESH_MS) return;
    const at = new Date(tsUs / 1000).toISOString();
    this.set(
      true,
      kind === "shutdown-done" ? `the node shut down (debug.log says "Shutdown done" at ${at})` : `the node is shutting down (debug.log says so at ${at})`,
    );
  }

  /** Looks for the node's process; called every few seconds. */
  check(): void {
    const found = this.findNode();
    if (found.pid !== undefined) {
      this.misses = 0;
      const before = this.lastPid;
      this.lastPid = found.pid;
      // A new PID between two checks: the node restarted faster than we looked (and than it logged).
      if (!this.gone && before !== undefined && before !== found.pid) this.set(true, `the node restarted: PID ${before} is gone`);
      if (this.gone) this.set(false, `the node runs again (PID ${found.pid} from ${found.from})`);
      return;
    }
    if (this.lastPid !== undefined && !this.gone && ++this.misses >= 2) this.set(true, `the node is gone: ${found.why}`);
  }

  private set(gone: boolean, detail: string): void {
    this.gone = gone;
    this.onChange({ gone, detail } as PresenceChange);
  }
}
