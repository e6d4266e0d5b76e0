// The event model as JSON Schema (draft-07), made from the zod schemas (z.toJSONSchema), for the
// compiled check of the decode path and for other languages: scripts/gen-events-doc.mjs writes the
// whole model to schema/events.schema.json and docs/events.md's field reference from it.
import { z } from "zod";
import { EVENT_DATA_SCHEMAS, EVENT_MODEL_VERSION, EVENT_TYPES, envelope, type EventType } from "./schema.js";

export type JsonSchema = Record<string, unknown>;

const DRAFT_07 = "http://json-schema.org/draft-07/schema#";

/**
 * One event of `type`, envelope and data: what an event of that type must be, as zod has it
 * (unknown keys refused, numbers finite, lengths in UTF-16 units). Throws if zod cannot say it in
 * JSON Schema (none of today's types).
 */
export function eventJsonSchema(type: EventType): JsonSchema {
  const schema = envelope.extend({ type: z.literal(type), data: EVENT_DATA_SCHEMAS[type] as z.ZodType });
  return z.toJSONSchema(schema, { target: "draft-7", io: "output", unrepresentable: "throw" }) as JsonSchema;
}

/**
 * The whole model in one document: each type's schema under `definitions`, by its name, and an
 * event is exactly one of them (`oneOf`; the `type` field tells which).
 */
export function eventModelJsonSchema(): JsonSchema {
  const definitions: Record<string, JsonSchema> = {};
  for (const type of EVENT_TYPES) {
    const { $schema: _drop, ...rest } = eventJsonSchema(type);
    definitions[type] = rest;
  }
  return {
    $schema: DRAFT_07,
    title: `peerwatch event, model version ${EVENT_MODEL_VERSION}`,
    description:
      "One event as peerwatch writes it (one JSON object per line in NDJSON, or one NATS message). Generated from src/events/schema.ts by " +
      "scripts/gen-events-doc.mjs; do not edit.",
    type: "object",
    required: ["v", "ts", "node", "source", "type", "data"],
    properties: { type: { enum: [...EVENT_TYPES] } },
    oneOf: EVENT_TYPES.map((type) => ({ $ref: `#/definitions/${type}` })),
    definitions,
  };
}
