// Entry counts of inv/getdata/notfound messages for the detectors, from whatever the source gave:
// the decoded payload (IPC tracing, eBPF) or, from the log (size only), the size itself: each
// entry is 36 bytes (u32 type, 32-byte hash) after a CompactSize count.
import type { EventDataMap } from "../../events/index.js";

type NetMessage = EventDataMap["net.message"];
const BLOCK_TYPES = ["block", "filtered_block", "cmpct_block", "witness_block", "filtered_witness_block"];

/** All entries the message declares. */
export function invEntries(d: NetMessage): number {
  return d.decoded?.entries ?? Math.floor(d.size / 36);
}

/** Entries that are blocks (of the entries the capture held). */
export function blockEntries(d: NetMessage): number {
  const t = d.decoded?.invTypes;
  if (t === undefined) return 0;
  let n = 0;
  for (const k of BLOCK_TYPES) n += t[k] ?? 0;
  return n;
}

/** Entries that are transactions: all but the blocks. Without a decoded payload the log cannot tell, and counts all. */
export function txEntries(d: NetMessage): number {
  return Math.max(0, invEntries(d) - blockEntries(d));
}
