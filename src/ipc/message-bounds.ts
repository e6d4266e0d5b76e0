// Checks one Cap'n Proto message before capnp-es reads it: every pointer inside its segment, at
// most MAX_DEPTH levels of nesting, and a traversal budget, counted like libcapnp's traversal limit
// (each word of struct or list content read, and each element of a list of zero-sized elements).
// capnp-es has neither bound: a capTable claiming 536,870,911 empty entries made it allocate
// 1.5 GB, 8.4M entries blocked the thread for seconds, and a pointer cycle made it copy forever.
// A legitimate message reads each word once, so its traversal is at most its own size.

import { Message } from "capnp-es";
import { Message as RpcMessage, MessageTarget_Which, Message_Which, Return_Which } from "capnp-es/capnp/rpc";

export class MessageBoundsError extends Error {
  override name = "MessageBoundsError";
}

/** Nesting limit, libcapnp's default. */
export const MAX_DEPTH = 64;

/** Traversal budget of a message of `words` words: its own size, with room for small lists of empty elements. */
export const traversalBudget = (words: number): number => 2 * words + 1024;

interface Segments {
  views: DataView[];
  words: number[];
}

/** Splits a framed message (segment table + segments) into segment views. Throws MessageBoundsError. */
function segmentsOf(frame: ArrayBuffer): Segments {
  const dv = new DataView(frame);
  if (frame.byteLength < 8) throw new MessageBoundsError("message shorter than its header");
  const count = dv.getUint32(0, true) + 1;
  const headerWords = Math.ceil((4 + 4 * count) / 8);
  if (headerWords * 8 > frame.byteLength) throw new MessageBoundsError("segment table past the end of the message");
  const views: DataView[] = [];
  const words: number[] = [];
  let at = headerWords * 8;
  for (let i = 0; i < count; i++) {
    const w = dv.getUint32(4 + 4 * i, true);
    if (at + w * 8 > frame.byteLength) throw new MessageBoundsError(`segment ${i} past the end of the message`);
    views.push(new DataView(frame, at, w * 8));
    words.push(w);
    at += w * 8;
  }
  return { views, words };
}

/** A pointer found at `word` of segment `seg`, with far pointers followed to their content. */
interface Target {
  seg: number;
  /** Word index of the content in `seg`. */
  at: number;
  /** The word describing the content (the pointer itself, or the landing pad's tag). */
  lo: number;
  hi: number;
}

/** Throws MessageBoundsError when the message breaks a bound; returns the words traversed. */
export function checkMessageBounds(frame: ArrayBuffer, maxDepth = MAX_DEPTH): number {
  const s = segmentsOf(frame);
  const total = s.words.reduce((a, b) => a + b, 0);
  if (total === 0) throw new MessageBoundsError("message without a root pointer");
  let budget = traversalBudget(total);
  const spend = (n: number): void => {
    budget -= n;
    if (budget < 0) throw new MessageBoundsError(`message traversal exceeds ${traversalBudget(total)} words (pointer cycle or amplified list)`);
  };
  const inSegment = (seg: number, at: number, words: number, what: string): void => {
    if (seg >= s.words.length || at < 0 || at + words > (s.words[seg] as number)) throw new MessageBoundsError(`${what} points outside its segment`);
  };
  const word = (seg: number, at: number): [number, number] => {
    const v = s.views[seg] as DataView;
    return [v.getUint32(at * 8, true), v.getUint32(at * 8 + 4, true)];
  };

  /** Resolves the pointer at (seg, at); undefined for null and capability pointers. */
  const resolve = (seg: number, at: number): Target | undefined => {
    const [lo, hi] = word(seg, at);
    if (lo === 0 && hi === 0) return undefined;
    const kind = lo & 3;
    if (kind === 3) {
      // A capability is exactly this: an index into the capTable, nothing to read. Any other
      // "other" pointer is reserved; capnp-es would read it as whatever the schema expects.
      if (lo !== 3) throw new MessageBoundsError("reserved pointer type");
      return undefined;
    }
    if (kind !== 2) return { seg, at: at + 1 + ((lo | 0) >> 2), lo, hi };
    spend(1);
    const padSeg = hi;
    const padAt = lo >>> 3;
    const double = (lo & 4) !== 0;
    inSegment(padSeg, padAt, double ? 2 : 1, "far pointer");
    const [plo, phi] = word(padSeg, padAt);
    if (!double) {
      if ((plo & 3) === 2 || (plo & 3) === 3) throw new MessageBoundsError("far pointer lands on another far or capability pointer");
      return { seg: padSeg, at: padAt + 1 + ((plo | 0) >> 2), lo: plo, hi: phi };
    }
    if ((plo & 7) !== 2) throw new MessageBoundsError("double-far landing pad is not a single far pointer");
    const [tlo, thi] = word(padSeg, padAt + 1);
    if ((tlo & 3) === 2 || (tlo & 3) === 3) throw new MessageBoundsError("double-far tag is not a struct or list pointer");
    return { seg: phi, at: plo >>> 3, lo: tlo, hi: thi };
  };

  // Iterative walk (a deep message must not overflow our stack either): pointer words to visit.
  const stack: number[] = [0, 0, 0]; // seg, word, depth
  while (stack.length) {
    const depth = stack.pop() as number;
    const at = stack.pop() as number;
    const seg = stack.pop() as number;
    if (depth > maxDepth) throw new MessageBoundsError(`message nests deeper than ${maxDepth} levels`);
    const t = resolve(seg, at);
    if (!t) continue;
    if ((t.lo & 3) === 0) {
      const data = t.hi & 0xffff;
      const ptrs = t.hi >>> 16;
      inSegment(t.seg, t.at, data + ptrs, "struct pointer");
      spend(data + ptrs);
      for (let i = 0; i < ptrs; i++) stack.push(t.seg, t.at + data + i, depth + 1);
      continue;
    }
    // List pointer.
    const size = t.hi & 7;
    const count = t.hi >>> 3;
    if (size === 7) {
      inSegment(t.seg, t.at, 1 + count, "list pointer");
      const [tlo, thi] = word(t.seg, t.at);
      if ((tlo & 3) !== 0) throw new MessageBoundsError("composite list tag is not a struct");
      const elements = tlo >>> 2;
      const data = thi & 0xffff;
      const ptrs = thi >>> 16;
      if (elements * (data + ptrs) > count) throw new MessageBoundsError("composite list elements overrun the list");
      // Empty elements still cost one each: this is what stops a capTable of 536,870,911 of them.
      spend(Math.max(count, elements));
      for (let e = 0; e < elements && ptrs > 0; e++) {
        for (let i = 0; i < ptrs; i++) stack.push(t.seg, t.at + 1 + e * (data + ptrs) + data + i, depth + 1);
      }
      continue;
    }
    const bits = [0, 1, 8, 16, 32, 64, 64][size] as number;
    const words = Math.ceil((count * bits) / 64);
    inSegment(t.seg, t.at, words, "list pointer");
    spend(bits === 0 ? count : words);
    if (size === 6) for (let i = 0; i < count; i++) stack.push(t.seg, t.at + i, depth + 1);
  }
  return traversalBudget(total) - budget;
}

/** Most capabilities one message may carry; libmultiprocess's messages carry a handful. */
export const MAX_CAPS_PER_MESSAGE = 1024;

/**
 * One frame from the node as an RPC message, checked before capnp-es's connection sees it: the
 * bounds above, then the lists the connection walks element by element (the capTable of a Call or
 * Return, a promised answer's transform), whose length capnp-es takes from the pointer it finds
 * there, whatever its type (a 28-word message claimed a capTable of 228,869,510 entries).
 * Throws MessageBoundsError, or capnp-es's own error for a message it cannot read.
 */
export function openRpcMessage(frame: ArrayBuffer): RpcMessage {
  checkMessageBounds(frame);
  const m = new Message(frame, false).getRoot(RpcMessage);
  const which = m.which(); // a message whose root is not a struct fails here, not inside the Conn
  const bound = (n: number, what: string): void => {
    if (n > MAX_CAPS_PER_MESSAGE) throw new MessageBoundsError(`${what} of ${n} entries (at most ${MAX_CAPS_PER_MESSAGE})`);
  };
  if (which === Message_Which.CALL) {
    const call = m.call;
    bound(call.params.capTable.length, "Call capTable");
    if (call.target.which() === MessageTarget_Which.PROMISED_ANSWER) bound(call.target.promisedAnswer.transform.length, "Call target transform");
  } else if (which === Message_Which.RETURN && m.return.which() === Return_Which.RESULTS) {
    bound(m.return.results.capTable.length, "Return capTable");
  }
  return m;
}
