// The node's message timestamps as wall-clock time. The fork's tracing interface stamps each message
// with std::chrono::steady_clock (src/interfaces/tracing.h: "microseconds on std::chrono::steady_clock
// (CLOCK_MONOTONIC on Linux, so comparable across local processes)"), i.e. time since boot, not since
// 1970. Node's process.hrtime reads the same CLOCK_MONOTONIC on Linux, and the node is on this host
// (the IPC socket is a unix socket), so wall = stamp + (wall now − monotonic now), both read here at
// once. The offset is taken afresh for every batch: a stall between the node's stamp and our reading
// moves neither clock relative to the other, so the mapped time stays the time of the fact; a wall
// clock stepped by NTP is followed at the next batch. A node that stamps wall-clock time is taken as is.
import { nowMicros } from "../events/index.js";

/** A stamp this far from the clock it claims to be read on is not plausible (the node runs on this host). */
const MAX_SKEW_US = 24 * 3600 * 1_000_000;

export type StampClock = "monotonic" | "wall";

/** Monotonic now (CLOCK_MONOTONIC on Linux), µs. */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** The two clocks read together, for one batch. */
export interface ClockReading {
  /** Wall-clock now, µs since 1970 (the event clock). */
  wallUs: number;
  /** Monotonic now, µs since boot. */
  monoUs: number;
}

export function readClocks(): ClockReading {
  const monoUs = monotonicMicros();
  const wallUs = nowMicros();
  return { wallUs, monoUs };
}

/**
 * The node's stamp as wall-clock µs and which clock it was on, or undefined when it is on neither
 * (then the caller uses the receive time).
 */
export function mapNodeStamp(stampUs: number, at: ClockReading): { ts: number; clock: StampClock } | undefined {
  if (!Number.isSafeInteger(stampUs) || stampUs <= 0) return undefined;
  if (Math.abs(stampUs - at.wallUs) <= MAX_SKEW_US) return { ts: stampUs, clock: "wall" };
  // Monotonic: never later than now (beyond rounding), and not older than the skew bound.
  if (stampUs <= at.monoUs + 1000 && at.monoUs - stampUs <= MAX_SKEW_US) return { ts: stampUs + (at.wallUs - at.monoUs), clock: "monotonic" };
  return undefined;
}
