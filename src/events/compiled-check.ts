// A fast yes/no check of an event against the model, for the decode hot path (NDJSON replay, NATS).
// zod stays the one definition: each type's zod schema is turned into JSON Schema (json-schema.ts;
// schema/events.schema.json holds the same) and compiled by ajv into a plain function, about 2.6×
// faster than zod's parse (`npm run bench -- validate`). Unknown keys are rejected, strings are
// measured in UTF-16 units and numbers must be finite, as zod has them, so an event the check
// accepts is one zod accepts unchanged (test/events/compiled-check.test.ts compares them on real and
// broken events); anything it rejects goes to zod, which decides and words the error. Compiled
// lazily, per type, on first use.
import { Ajv, type ValidateFunction } from "ajv";
import { eventJsonSchema } from "./json-schema.js";
import { EVENT_DATA_SCHEMAS, type EventType } from "./schema.js";

// `unicode: false` (lengths in UTF-16 units, as zod counts) is deprecated in ajv 8 and says so on
// stderr at every start; that one notice is dropped, every other warning still shows.
const logger = {
  log: () => {},
  warn: (...a: unknown[]) => {
    if (!String(a[0]).includes("option unicode")) console.warn(...a);
  },
  error: (...a: unknown[]) => console.error(...a),
};
const ajv = new Ajv({ strict: false, allErrors: false, strictNumbers: true, unicode: false, unicodeRegExp: false, validateSchema: false, logger });
const compiled = new Map<string, ValidateFunction | null>();

function compile(type: EventType): ValidateFunction | null {
  try {
    return ajv.compile(eventJsonSchema(type));
  } catch {
    return null; // not expressible as JSON Schema: zod alone decides
  }
}

/** True when `input` is certainly a valid event (false: not known, ask zod). */
export function passesCompiledCheck(input: unknown): boolean {
  if (typeof input !== "object" || input === null) return false;
  const type = (input as { type?: unknown }).type;
  if (typeof type !== "string" || !Object.hasOwn(EVENT_DATA_SCHEMAS, type)) return false;
  let check = compiled.get(type);
  if (check === undefined) {
    check = compile(type as EventType);
    compiled.set(type, check);
  }
  return check ? check(input) : false;
}
