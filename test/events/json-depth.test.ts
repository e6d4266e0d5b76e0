// The depth bound every JSON reader uses before JSON.parse.
import { describe, expect, it } from "vitest";
import { decodeEventLine, jsonDepthExceeds } from "../../src/events/index.js";

describe("jsonDepthExceeds", () => {
  it("counts arrays and objects, not brackets inside strings or escaped quotes", () => {
    expect(jsonDepthExceeds('{"a":[{"b":[]}]}', 4)).toBe(false);
    expect(jsonDepthExceeds('{"a":[{"b":[[]]}]}', 4)).toBe(true);
    expect(jsonDepthExceeds(`{"s":"${"[".repeat(100)}"}`, 2)).toBe(false);
    expect(jsonDepthExceeds(`{"s":"\\"${"{".repeat(100)}"}`, 2)).toBe(false);
    expect(jsonDepthExceeds(`["\\\\",${"[".repeat(3)}]]]]`, 3)).toBe(true);
  });

  it("lets the event decoder refuse a line nested 20,000 levels deep with a clear error", () => {
    const r = decodeEventLine(`{"v":1,"data":${"[".repeat(20_000)}${"]".repeat(20_000)}}`);
    expect(r).toEqual({ ok: false, error: { what: "event", where: "line", why: "nests deeper than 64 levels" } });
  });
});
