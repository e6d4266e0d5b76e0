// Blocks as each source reports them: IPC's pushed tip.changed ("ipc"), the validation:block_connected
// tracepoint ("ebpf"), the tip in the pollers' getblockchaininfo ("rpc" over HTTP, "ipc-poll" over
// executeRpc) and the log follower ("log": UpdateTip and BlockConnected lines, stamped with the time
// the node wrote them). For each block: who saw it and when; per source: how
// many of the blocks it saw and how long after the earliest source.
//
// A source's first tip after it (re)connects is the tip it found, not a block it watched arrive: it
// sets the starting height and counts as no observation. Blocks at or below the starting tip are history.
import type { PeerwatchEvent } from "../../events/index.js";
import { DelaySample, round } from "./delay-sample.js";
import type { BlockSourceStats } from "./report.js";

/** Blocks remembered at most (a compare run watches minutes to hours, not the chain). */
const MAX_BLOCKS = 100_000;
const MAX_MISSED_LISTED = 20;

interface Block {
  height: number;
  /** Per source: when it first reported the block as new (µs). */
  seen: Map<string, number>;
}

export class BlockTally {
  private readonly blocks = new Map<string, Block>();
  /** Sources that can report blocks (they ran), even if they saw none. */
  private readonly present = new Set<string>();
  /** Per state-reporting source: the last tip it reported; undefined right after (re)connecting. */
  private readonly lastTip = new Map<string, string | undefined>();
  private startHeight: number | undefined;
  private lastState = new Map<string, string>();

  add(e: PeerwatchEvent): void {
    switch (e.type) {
      case "source.status": {
        const src = e.data.source;
        const before = this.lastState.get(src);
        this.lastState.set(src, e.data.state);
        // (Re)connected: the next tip each of its tip reporters gives is the one it found.
        if (e.data.state !== "down" && (before === undefined || before === "down")) {
          for (const label of src === "ipc" ? ["ipc", "ipc-poll"] : src === "rpc" ? ["rpc"] : []) this.lastTip.set(label, undefined);
        }
        const caps = e.data.capabilities ?? [];
        if (src === "ipc" && caps.includes("mining")) this.present.add("ipc");
        if (src === "ebpf" && e.data.state === "up" && caps.includes("validation")) this.present.add("ebpf");
        if (src === "log" && e.data.state === "up") this.present.add("log");
        return;
      }
      case "tip.changed":
        if (e.source === "ipc") return this.state("ipc", e.data.hash, e.data.height, e.ts);
        if (e.source === "log") return this.observe("log", e.data.hash, e.data.height, e.ts);
        return;
      case "block.connected":
        return this.observe(e.source === "log" ? "log" : e.source, e.data.hash, e.data.height, e.ts);
      // The log's "BlockConnected" line (-debug=validation): the same block as its UpdateTip line.
      case "block.seen":
        return this.observe("log", e.data.hash, e.data.height, e.ts);
      case "rpc.snapshot":
        if (e.data.method !== "getblockchaininfo") return;
        return this.state(e.source === "ipc" ? "ipc-poll" : "rpc", e.data.result.bestblockhash, e.data.result.blocks, e.ts);
      default:
        return;
    }
  }

  /** A source that reports the current tip: a new block only when the tip moved since its last report. */
  private state(label: string, hash: string, height: number, ts: number): void {
    this.present.add(label);
    const known = this.lastTip.has(label);
    const last = this.lastTip.get(label);
    this.lastTip.set(label, hash);
    if (!known || last === undefined) {
      // The tip found on (re)connecting: a starting point, not an observation.
      if (this.startHeight === undefined || height < this.startHeight) this.startHeight = height;
      return;
    }
    if (last !== hash) this.observe(label, hash, height, ts);
  }

  private observe(label: string, hash: string, height: number, ts: number): void {
    this.present.add(label);
    let b = this.blocks.get(hash);
    if (!b) {
      if (this.blocks.size >= MAX_BLOCKS) return;
      b = { height, seen: new Map() };
      this.blocks.set(hash, b);
    }
    if (!b.seen.has(label)) b.seen.set(label, ts);
  }

  report(): Record<string, BlockSourceStats> {
    const counted = [...this.blocks.entries()].filter(([, b]) => this.startHeight === undefined || b.height > this.startHeight);
    const labels = [...this.present].sort();
    const out: Record<string, BlockSourceStats> = {};
    for (const label of labels) {
      const delays = new DelaySample();
      let first = 0;
      const missed: { height: number; hash: string }[] = [];
      let seen = 0;
      for (const [hash, b] of counted) {
        const ts = b.seen.get(label);
        if (ts === undefined) {
          missed.push({ height: b.height, hash });
          continue;
        }
        seen++;
        const earliest = Math.min(...b.seen.values());
        if (ts === earliest) first++;
        delays.add((ts - earliest) / 1000);
      }
      const d = delays.stats();
      missed.sort((a, b) => a.height - b.height);
      out[label] = {
        seen,
        of: counted.length,
        medianDelayMs: d.medianMs === null ? null : round(d.medianMs),
        maxDelayMs: d.maxMs,
        first,
        missed: missed.slice(0, MAX_MISSED_LISTED),
      };
    }
    return out;
  }
}
