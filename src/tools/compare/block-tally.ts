// Blocks as each source reports them: IPC's pushed tip.changed ("ipc"), the validation:block_connected
// tracepoint ("ebpf"), the tip in the pollers' getblockchaininfo ("rpc" over HTTP, "ipc-poll" over
// executeRpc) and the log follower ("log": UpdateTip and BlockConnected lines, stamped with the time
// the node wrote them). For each block: who saw it and when; per source: how
// many of the blocks it saw and how long after the earliest source.
//
// A source's first tip after it (re)connects is the tip it found, not a block it watched arrive: it
// sets the starting height and counts as no observation. Blocks at or below the starting tip are history.
//
// A source that reports the tip (IPC's waitTipChanged, the pollers) sees blocks connected together as
// one jump: the blocks it passed over are "coalesced", not missed (IPC names them in tip.changed's
// skippedBlocks; for the pollers the heights between two tips say it).
//
// Times have a precision: debug.log without -logtimemicros gives whole seconds, up to 999 ms before
// the fact. Such a source is not ranked: it counts for "seen", not for "first" or delays, and the
// earliest time is taken from the sources with µs times (the log's own, when it has the fraction).
import type { PeerwatchEvent } from "../../events/index.js";
import { DelaySample, round } from "./delay-sample.js";
import type { BlockSourceStats } from "./report.js";

/** Blocks remembered at most (a compare run watches minutes to hours, not the chain). */
const MAX_BLOCKS = 100_000;
const MAX_MISSED_LISTED = 20;
/** Jumps remembered per source (each a height range). */
const MAX_JUMPS = 10_000;
/** Sources whose times are the node's own line times, of whatever precision the node logs. */
const NODE_TIMED = new Set(["log"]);

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
  private readonly lastTip = new Map<string, { hash: string; height: number } | undefined>();
  /** Per state-reporting source: heights it jumped over ([from, to], both passed over) and hashes named so. */
  private readonly jumps = new Map<string, { ranges: [number, number][]; hashes: Set<string> }>();
  /** Node-timed sources with a time that has a sub-second part (so their times are not whole seconds). */
  private readonly fineTimes = new Set<string>();
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
        if (e.source === "ipc") return this.state("ipc", e.data.hash, e.data.height, e.ts, e.data.skippedBlocks);
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
  private state(label: string, hash: string, height: number, ts: number, named?: readonly { hash: string }[]): void {
    this.present.add(label);
    const known = this.lastTip.has(label);
    const last = this.lastTip.get(label);
    this.lastTip.set(label, { hash, height });
    if (!known || last === undefined) {
      // The tip found on (re)connecting: a starting point, not an observation.
      if (this.startHeight === undefined || height < this.startHeight) this.startHeight = height;
      return;
    }
    if (last.hash === hash) return;
    if (height > last.height + 1) {
      let j = this.jumps.get(label);
      if (!j) this.jumps.set(label, (j = { ranges: [], hashes: new Set() }));
      if (j.ranges.length < MAX_JUMPS) j.ranges.push([last.height + 1, height - 1]);
      for (const b of named ?? []) if (j.hashes.size < MAX_BLOCKS) j.hashes.add(b.hash);
    }
    this.observe(label, hash, height, ts);
  }

  /** Whether `label` passed over this block in a jump of its tip. */
  private coalesced(label: string, hash: string, height: number): boolean {
    const j = this.jumps.get(label);
    if (!j) return false;
    return j.hashes.has(hash) || j.ranges.some(([from, to]) => height >= from && height <= to);
  }

  /** Whether a source's times are whole seconds (a node-timed source that never showed a fraction). */
  private wholeSeconds(label: string): boolean {
    return NODE_TIMED.has(label) && !this.fineTimes.has(label);
  }

  private observe(label: string, hash: string, height: number, ts: number): void {
    this.present.add(label);
    if (NODE_TIMED.has(label) && ts % 1_000_000 !== 0) this.fineTimes.add(label);
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
    const coarse = new Set(labels.filter((l) => this.wholeSeconds(l)));
    /** The earliest report of a block, from the sources with precise times when any saw it. */
    const earliestOf = (b: Block) => {
      const precise = [...b.seen].filter(([l]) => !coarse.has(l)).map(([, t]) => t);
      return Math.min(...(precise.length > 0 ? precise : b.seen.values()));
    };
    const out: Record<string, BlockSourceStats> = {};
    for (const label of labels) {
      const ranked = !coarse.has(label);
      const delays = new DelaySample();
      let first = 0;
      let coalesced = 0;
      const missed: { height: number; hash: string }[] = [];
      let seen = 0;
      for (const [hash, b] of counted) {
        const ts = b.seen.get(label);
        if (ts === undefined) {
          if (this.coalesced(label, hash, b.height)) coalesced++;
          else missed.push({ height: b.height, hash });
          continue;
        }
        seen++;
        if (!ranked) continue;
        const earliest = earliestOf(b);
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
        ...(coalesced > 0 ? { coalesced } : {}),
        ...(ranked ? {} : { wholeSeconds: true }),
      };
    }
    return out;
  }
}
