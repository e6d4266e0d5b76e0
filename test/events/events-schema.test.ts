// schema/events.schema.json is the event model for other languages, and docs/events.md's field
// reference is made from it: both must be what scripts/gen-events-doc.mjs makes of the zod schemas
// now, and the file must be usable as it is, by a JSON Schema validator that knows nothing of zod.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { EVENT_TYPES, decodeEvent, decodeEventWithZod, makeEvent } from "../../src/events/index.js";
import { eventJsonSchema, eventModelJsonSchema } from "../../src/events/json-schema.js";
import { parseLine } from "../../src/ebpf/line-parser.js";
import { REPO_ROOT } from "../helpers/capture.js";

const file = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "schema/events.schema.json"), "utf8")) as { definitions: Record<string, unknown> };

describe("schema/events.schema.json and docs/events.md", () => {
  it("are what scripts/gen-events-doc.mjs writes (regenerate with `npm run gen:events` after changing src/events/schema.ts)", () => {
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, "scripts/gen-events-doc.mjs"), "--check"], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("is the model the compiled check uses: one definition per type, each the type's schema", () => {
    expect(Object.keys(file.definitions)).toEqual(EVENT_TYPES);
    const { $schema: _s, ...ping } = eventJsonSchema("ping.rtt");
    expect(file.definitions["ping.rtt"]).toEqual(ping);
    expect(file).toEqual(JSON.parse(JSON.stringify(eventModelJsonSchema())));
  });

  it("validates events by itself, with a plain draft-07 validator: real events pass, broken ones fail as with zod", () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validate = ajv.compile(file);
    const recorded = fs.readFileSync(path.join(REPO_ROOT, "test/ebpf/recorded/fixture-all.txt"), "utf8").split("\n");
    const events = recorded.map((l) => parseLine(l, 64)).flatMap((p) => (p.kind === "event" ? [makeEvent("ebpf", "n", p.type, p.data)] : []));
    events.push(makeEvent("peerwatch", "n", "events.dropped", { source: "bus:x", count: 3, reason: "queue full" }));
    expect(events.length).toBeGreaterThan(10);
    for (const e of events) {
      expect(validate(e), JSON.stringify(validate.errors)).toBe(true);
      for (const b of [
        { ...e, type: "no.such.type" },
        { ...e, v: 2 },
        { ...e, node: "" },
        { ...e, ts: -1 },
      ]) {
        expect(validate(b)).toBe(false);
        expect(decodeEventWithZod(b).ok).toBe(false);
      }
      // A key the model does not have: the schema refuses it, as the compiled check does (zod's
      // parse would drop it and go on).
      expect(validate({ ...e, data: { ...e.data, extra: 1 } })).toBe(false);
      expect(decodeEvent(e).ok).toBe(true);
    }
  });
});
