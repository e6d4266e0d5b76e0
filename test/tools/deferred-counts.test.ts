// Counts summed off prom-client's hot path read the same as direct inc() calls, across scrapes.
import { Counter, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { collectFrom, DeferredCounts, DeferredCountsError } from "../../src/tools/metrics/deferred-counts.js";

describe("DeferredCounts", () => {
  it("shows at every scrape exactly what direct inc() calls show, and never counts twice", async () => {
    const registry = new Registry();
    let deferred: DeferredCounts | undefined;
    const collect = collectFrom(() => deferred);
    const a = new Counter({ name: "a_total", help: "a", labelNames: ["k"], registers: [registry], collect });
    const b = new Counter({ name: "b_total", help: "b", labelNames: ["k"], registers: [registry], collect });
    const direct = new Counter({ name: "direct_total", help: "d", labelNames: ["k"], registers: [registry] });
    deferred = new DeferredCounts([a, b], ["k"]);
    const text = async () => registry.metrics();
    const val = (t: string, name: string, k: string) => Number(new RegExp(`^${name}\\{k="${k}"\\} (\\S+)$`, "m").exec(t)?.[1]);
    for (let round = 1; round <= 3; round++) {
      for (let i = 0; i < 100; i++) {
        const k = `k${i % 3}`;
        const sums = deferred.sums(k);
        sums[0]! += 1;
        sums[1]! += i;
        direct.inc({ k }, 1);
      }
      const t = await text();
      for (const k of ["k0", "k1", "k2"]) expect(val(t, "a_total", k)).toBe(val(t, "direct_total", k));
      expect(val(t, "a_total", "k0")).toBe(34 * round);
      expect(val(t, "b_total", "k1")).toBe(round * [...Array(100).keys()].filter((i) => i % 3 === 1).reduce((x, y) => x + y, 0));
    }
    expect(deferred.keys).toBe(3);
  });

  it("keeps label sets of three labels apart, whatever their values share", async () => {
    const registry = new Registry();
    let deferred: DeferredCounts | undefined;
    const c = new Counter({ name: "c_total", help: "c", labelNames: ["x", "y", "z"], registers: [registry], collect: collectFrom(() => deferred) });
    deferred = new DeferredCounts([c], ["x", "y", "z"]);
    const sets = [
      ["a", "b", "c"],
      ["a", "b", "d"],
      ["a", "bc", ""],
      ["ab", "c", ""],
      ["a", "b", "c"],
    ];
    for (const [x, y, z] of sets) deferred.sums(x!, y!, z!)[0]! += 1;
    expect(deferred.keys).toBe(4);
    const values = (await c.get()).values.map((v) => [v.labels, v.value]);
    expect(values).toEqual([
      [{ x: "a", y: "b", z: "c" }, 2],
      [{ x: "a", y: "b", z: "d" }, 1],
      [{ x: "a", y: "bc", z: "" }, 1],
      [{ x: "ab", y: "c", z: "" }, 1],
    ]);
    expect(() => new DeferredCounts([c], [])).toThrow(DeferredCountsError);
  });
});
