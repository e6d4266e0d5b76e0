// Fuzzes every decoder of outside input (test/fuzz/targets.ts) with fast-check: random bytes, and
// mutations of the real captures (bit flips, overwritten, inserted, deleted and duplicated bytes,
// truncation). Each input must be accepted or rejected: no other exception, no unhandled
// rejection, none over 1 s, heap bounded. `npm test` runs a few thousand inputs per decoder;
// `npm run fuzz` runs 100,000 (PEERWATCH_FUZZ_RUNS) and prints `<name>: N inputs, N rejected, N accepted`.
import fs from "node:fs";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fuzzTargets, type FuzzTarget } from "./targets.js";

const RUNS = Number(process.env.PEERWATCH_FUZZ_RUNS ?? 1000);
const SEED = Number(process.env.PEERWATCH_FUZZ_SEED ?? 20261124);
const ONLY = process.env.PEERWATCH_FUZZ_ONLY;
/** A file each input is written to before it runs: after a crash of the process it holds the culprit. */
const TRACE = process.env.PEERWATCH_FUZZ_TRACE;
const SLOW_MS = 1000;
const MAX_HEAP_BYTES = 1536 * 1024 * 1024;

type Op = { kind: "flip" | "set" | "insert" | "delete" | "dup" | "truncate"; at: number; value: number; len: number };

const op: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom("flip", "set", "insert", "delete", "dup", "truncate"),
  at: fc.nat(),
  value: fc.nat(255),
  len: fc.integer({ min: 1, max: 64 }),
});

function mutate(seed: Uint8Array, ops: Op[]): Uint8Array {
  let b = Buffer.from(seed);
  for (const o of ops) {
    const at = b.length ? o.at % (b.length + 1) : 0;
    switch (o.kind) {
      case "flip":
        if (at < b.length) b[at] = (b[at] as number) ^ (1 << (o.value & 7));
        break;
      case "set":
        if (at < b.length) b[at] = o.value;
        break;
      case "insert":
        b = Buffer.concat([b.subarray(0, at), Buffer.alloc(o.len, o.value), b.subarray(at)]);
        break;
      case "delete":
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + o.len)]);
        break;
      case "dup":
        b = Buffer.concat([b.subarray(0, at + o.len), b.subarray(at, at + o.len), b.subarray(at + o.len)]);
        break;
      case "truncate":
        b = b.subarray(0, at);
        break;
    }
  }
  return b;
}

function inputs(t: FuzzTarget): fc.Arbitrary<Uint8Array> {
  const random = fc.uint8Array({ maxLength: 2048 });
  const text = fc.string({ maxLength: 512, unit: "binary" }).map((s) => Buffer.from(s));
  if (t.seeds.length === 0) return fc.oneof(random, text);
  const mutated = fc.tuple(fc.constantFrom(...t.seeds), fc.array(op, { minLength: 1, maxLength: 8 })).map(([s, ops]) => mutate(s, ops));
  return fc.oneof({ arbitrary: mutated, weight: 3 }, { arbitrary: random, weight: 1 }, { arbitrary: text, weight: 1 });
}

const unhandled: unknown[] = [];
const onUnhandled = (e: unknown): void => void unhandled.push(e);
beforeAll(() => process.on("unhandledRejection", onUnhandled));
afterAll(() => process.off("unhandledRejection", onUnhandled));

describe(`fuzzing every decoder (${RUNS} inputs each, seed ${SEED})`, () => {
  for (const t of fuzzTargets().filter((x) => !ONLY || x.name === ONLY)) {
    it(`${t.name}: accepts or rejects, never throws, hangs or bloats`, { timeout: Math.max(60_000, RUNS * 5) }, async () => {
      let rejected = 0;
      let accepted = 0;
      let slow = 0;
      const crashes: string[] = [];
      const batch = 5000;
      for (let done = 0; done < RUNS; done += batch) {
        const n = Math.min(batch, RUNS - done);
        for (const input of fc.sample(inputs(t), { numRuns: n, seed: SEED + done })) {
          if (TRACE) fs.writeFileSync(TRACE, Buffer.from(input).toString("hex"));
          const t0 = performance.now();
          try {
            if (t.run(input) === "accepted") accepted++;
            else rejected++;
          } catch (e) {
            if (crashes.length < 5)
              crashes.push(`${(e as Error)?.stack?.split("\n").slice(0, 3).join(" | ") ?? String(e)} on ${Buffer.from(input).subarray(0, 64).toString("hex")}`);
            else crashes.push("");
          }
          if (performance.now() - t0 > SLOW_MS) slow++;
        }
        await new Promise((r) => setImmediate(r)); // let rejections surface
      }
      const heap = process.memoryUsage().heapUsed;
      console.log(
        `${t.name}: ${RUNS} inputs, ${rejected} rejected, ${accepted} ` +
          `accepted${crashes.length ? `, ${crashes.length} uncaught` : ""}${slow ? `, ${slow} over 1 s` : ""}`,
      );
      expect(crashes.filter(Boolean)).toEqual([]);
      expect(crashes).toHaveLength(0);
      expect(slow).toBe(0);
      expect(unhandled).toEqual([]);
      expect(heap).toBeLessThan(MAX_HEAP_BYTES);
      expect(rejected + accepted).toBe(RUNS);
    });
  }
});
