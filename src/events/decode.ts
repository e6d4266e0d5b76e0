// Decoding events from untrusted input (NDJSON files, NATS messages, replay): never throws, returns a
// typed error that says what was wrong, where (path in the object, or line/byte) and why.
import type { z } from "zod";
import { MAX_JSON_DEPTH, jsonDepthExceeds } from "../util/json-depth.js";
import { passesCompiledCheck } from "./compiled-check.js";
import { EVENT_DATA_SCHEMAS, envelope, type EventType, type PeerwatchEvent } from "./schema.js";

/** Largest event line accepted, in bytes: a full 4 MB P2P payload as hex plus the envelope. */
export const MAX_EVENT_LINE_BYTES = 9 * 1024 * 1024;

export interface DecodeError {
  /** What was being decoded, e.g. "event", "bpftrace line", "getpeerinfo reply". */
  what: string;
  /** Where in the input: a JSON path like `data.peers[3].id`, or `line 12`. */
  where: string;
  /** Why it was rejected, in plain words. */
  why: string;
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: DecodeError };

export function formatDecodeError(e: DecodeError): string {
  return `${e.what}: ${e.where ? `at ${e.where}: ` : ""}${e.why}`;
}

/** Turn a zod error into a DecodeError (first issue only: enough to fix the input, bounded in size). */
export function fromZodError(what: string, err: z.ZodError, prefix = ""): DecodeError {
  const issue = err.issues[0];
  const path = [prefix, ...(issue?.path ?? []).map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))].join("").replace(/^\./, "");
  const more = err.issues.length > 1 ? ` (and ${err.issues.length - 1} more problems)` : "";
  return { what, where: path || "(root)", why: `${issue?.message ?? "invalid"}${more}` };
}

/** Validate one value against a schema, as a Decoded result. */
export function decodeWith<S extends z.ZodType>(what: string, schema: S, input: unknown): Decoded<z.infer<S>> {
  const r = schema.safeParse(input);
  return r.success ? { ok: true, value: r.data } : { ok: false, error: fromZodError(what, r.error) };
}

function isEventType(t: string): t is EventType {
  return Object.hasOwn(EVENT_DATA_SCHEMAS, t);
}

/** Validate a parsed JSON value as an event of the model. */
export function decodeEvent(input: unknown): Decoded<PeerwatchEvent> {
  // The common case, a valid event, takes the compiled check (compiled-check.ts); zod decides the rest.
  if (passesCompiledCheck(input)) return { ok: true, value: input as PeerwatchEvent };
  return decodeEventWithZod(input);
}

/** decodeEvent by zod alone: the reference the compiled check is tested and measured against. */
export function decodeEventWithZod(input: unknown): Decoded<PeerwatchEvent> {
  const env = envelope.safeParse(input);
  if (!env.success) return { ok: false, error: fromZodError("event", env.error) };
  const { type } = env.data;
  if (!isEventType(type)) {
    return { ok: false, error: { what: "event", where: "type", why: `unknown event type "${type.slice(0, 64)}"` } };
  }
  const data = (EVENT_DATA_SCHEMAS[type] as z.ZodType).safeParse(env.data.data);
  if (!data.success) return { ok: false, error: fromZodError(`${type} event`, data.error, "data") };
  return { ok: true, value: { ...env.data, type, data: data.data } as PeerwatchEvent };
}

/** Decode one NDJSON line (a string or bytes). */
export function decodeEventLine(line: string | Uint8Array, where = "line"): Decoded<PeerwatchEvent> {
  // UTF-8 takes at most 3 bytes per UTF-16 unit: a short string needs no byte count.
  const size = typeof line === "string" ? (line.length * 3 <= MAX_EVENT_LINE_BYTES ? 0 : Buffer.byteLength(line)) : line.byteLength;
  if (size > MAX_EVENT_LINE_BYTES) {
    return { ok: false, error: { what: "event", where, why: `line of ${size} bytes exceeds ${MAX_EVENT_LINE_BYTES}` } };
  }
  const s = typeof line === "string" ? line : Buffer.from(line).toString("utf8");
  if (jsonDepthExceeds(s)) return { ok: false, error: { what: "event", where, why: `nests deeper than ${MAX_JSON_DEPTH} levels` } };
  let parsed: unknown;
  try {
    parsed = JSON.parse(s);
  } catch (e) {
    return { ok: false, error: { what: "event", where, why: `not JSON: ${(e as Error).message}` } };
  }
  if (passesCompiledCheck(parsed)) {
    // Exactly what the line says, no key more or less (the check refuses unknown keys): the line
    // is this event's encoding, and writing the event out again (replay or NATS into NDJSON) can
    // reuse it instead of encoding it anew.
    texts.set(parsed as object, s);
    return { ok: true, value: parsed as PeerwatchEvent };
  }
  const r = decodeEventWithZod(parsed);
  if (!r.ok) r.error.where = `${where}: ${r.error.where}`;
  return r;
}

/** The line each event decoded from a line came from, while the event lives (see decodeEventLine). */
const texts = new WeakMap<object, string>();

/** NDJSON encoding of one event (no trailing newline): the line it was read from, if it was. */
export function encodeEvent(e: PeerwatchEvent): string {
  return texts.get(e) ?? JSON.stringify(e);
}
