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

  it("agrees with a plain character scan on random bracket soup, around the limit", () => {
    const scan = (text: string, limit: number) => {
      let depth = 0;
      let inString = false;
      for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (inString) {
          if (c === "\\") i++;
          else if (c === '"') inString = false;
        } else if (c === '"') inString = true;
        else if (c === "[" || c === "{") {
          if (++depth > limit) return true;
        } else if (c === "]" || c === "}") depth--;
      }
      return false;
    };
    let seed = 7;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const alphabet = ["{", "[", "}", "]", '"', "\\", "a", ","];
    let exceeded = 0;
    for (let k = 0; k < 5000; k++) {
      const text = Array.from({ length: rand(40) }, () => alphabet[rand(alphabet.length)]).join("");
      const limit = rand(8);
      expect(jsonDepthExceeds(text, limit), `${text} ${limit}`).toBe(scan(text, limit));
      if (scan(text, limit)) exceeded++;
    }
    expect(exceeded).toBeGreaterThan(100); // both answers were exercised
  });

  it("lets the event decoder refuse a line nested 20,000 levels deep with a clear error", () => {
    const r = decodeEventLine(`{"v":1,"data":${"[".repeat(20_000)}${"]".repeat(20_000)}}`);
    expect(r).toEqual({ ok: false, error: { what: "event", where: "line", why: "nests deeper than 64 levels" } });
  });
});
