// Numbers in settings, strictly: a JSON number, or a string that is a plain decimal ("10", "0.5").
// z.coerce.number took anything Number() takes: `true` became 1 (rpcInterval: true → 1 s, pid: true
// → PID 1), "0x10" became 16 and "1e1" became 10, all without a word.
import { z } from "zod";

/** A plain decimal number as text: optional sign, digits, optional fraction. No hex, exponent or blanks. */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d+)?|\.\d+)$/;

/** `inner` (a z.number() with its checks), fed only numbers and plain decimal strings. */
export function strictNumber<T extends z.ZodNumber>(inner: T) {
  return z.preprocess((v) => (typeof v === "string" && DECIMAL.test(v) ? Number(v) : v), inner);
}
