// encodeEvent: the line an event was read from is its encoding (replay and NATS into NDJSON reuse it).
import { describe, expect, it } from "vitest";
import { decodeEventLine } from "../../src/events/index.js";

describe("encodeEvent of a decoded line", () => {
  it("gives back the line a valid event was read from, and encodes anew what was built or changed", async () => {
    const { encodeEvent, makeEvent } = await import("../../src/events/index.js");
    // Key order and spacing of its own: the event is the same, the text is the line's.
    const line = '{"data":{"height":7,"hash":"' + "ab".repeat(32) + '"},"type":"tip.changed", "source":"ipc","node":"n","ts":1795470000000000,"v":1}';
    const r = decodeEventLine(line);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(encodeEvent(r.value)).toBe(line);
    expect(JSON.parse(encodeEvent(r.value))).toEqual(r.value);
    // A copy (replay's loop moves ts) or a built event: JSON.stringify.
    const moved = { ...r.value, ts: r.value.ts + 1 };
    expect(encodeEvent(moved)).toBe(JSON.stringify(moved));
    const built = makeEvent("ipc", "n", "tip.changed", { height: 7, hash: "ab".repeat(32) }, 1795470000000000);
    expect(encodeEvent(built)).toBe(JSON.stringify(built));
    // A line zod accepts only after stripping a key: encoded from the event, without the key.
    const extra = decodeEventLine(line.replace('"v":1', '"v":1,"extra":true'));
    if (extra.ok) expect(encodeEvent(extra.value)).not.toContain("extra");
  });
});
