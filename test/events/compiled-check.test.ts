// The compiled check (ajv, generated from the zod schemas) never says yes where zod says no, and
// what it accepts is exactly what zod would return: on real events of every kind and on thousands of
// broken variants of them (wrong types, bounds, NaN, surrogate pairs at length limits, extra keys).
import { describe, expect, it } from "vitest";
import { RPC_SNAPSHOT_METHODS, decodeEventWithZod } from "../../src/events/index.js";
import { passesCompiledCheck } from "../../src/events/compiled-check.js";
import { FIXTURE_EVENTS } from "../ebpf/fixture-expected.js";
import { captureJson } from "../helpers/capture.js";
import { peer } from "../helpers/events.js";

const H = "2f19d430e8274b2f98d467d0139ed51b49b77f242bb728a06737fd6ddb81b2c7";
const wrap = (type: string, data: unknown, source = "ebpf") => ({ v: 1, ts: 1795470474000000, node: "n1", source, type, data });

const corpus: Record<string, unknown>[] = [
  ...FIXTURE_EVENTS.map((e) => wrap(e.type, e.data)),
  ...RPC_SNAPSHOT_METHODS.map((method) => wrap("rpc.snapshot", { method, result: captureJson(`rpc/${method}.json`) }, "rpc")),
  wrap("peers.snapshot", { peers: [peer(1), peer(2, { transport: null, minFeeFilterSatVb: 0.1 })] }, "rpc"),
  wrap("tip.changed", { height: 111, hash: H }, "ipc"),
  wrap("ping.rtt", { rttNs: 412_000, target: "127.0.0.1:8333" }, "p2p"),
  wrap("p2p.announcement", { target: "127.0.0.1:8333", msgType: "inv", size: 37, entries: 1, invTypes: { wtx: 1 } }, "p2p"),
  wrap("threads.snapshot", { pid: 10, threads: [{ tid: 11, name: "b-msghand", userSeconds: 1.5, systemSeconds: 0.25 }] }, "proc"),
  wrap("source.status", { source: "ipc", state: "up", detail: "connected", capabilities: ["mining"] }, "ipc"),
  wrap("events.dropped", { source: "bus:ndjson", count: 3, reason: "subscriber queue full" }, "peerwatch"),
  wrap("alert", { name: "ping-spam", severity: "warning", peerId: 3, detail: "peer 3 sent 500 pings in 60 s" }, "peerwatch"),
];

/** zod alone, as decodeEvent did before the compiled check: the reference. */
function zodDecode(input: unknown): { ok: boolean; value?: unknown } {
  const r = decodeEventWithZod(input);
  return r.ok ? { ok: true, value: r.value } : { ok: false };
}

const NASTY: unknown[] = [
  undefined,
  null,
  NaN,
  Infinity,
  -Infinity,
  -1,
  0.5,
  2 ** 53,
  -(2 ** 53),
  "",
  "x",
  "A".repeat(300),
  "😀".repeat(20),
  "😀".repeat(40),
  "😀".repeat(140),
  "ABCDEF0123456789",
  true,
  [],
  {},
  "12",
];

/** Every value at `path` replaced by each nasty value, each object given an extra key, each key removed. */
function* mutants(root: unknown): Generator<[string, unknown]> {
  const clone = () => structuredClone(root) as Record<string, unknown>;
  function* walk(node: unknown, path: (string | number)[]): Generator<[string, unknown]> {
    if (node === null || typeof node !== "object") return;
    const keys = Array.isArray(node) ? node.map((_, i) => i).slice(0, 3) : Object.keys(node);
    for (const k of keys) {
      for (const v of NASTY) {
        const c = clone();
        let at: Record<string | number, unknown> = c;
        for (const p of path) at = at[p] as Record<string | number, unknown>;
        at[k] = v;
        yield [`${[...path, k].join(".")} = ${String(v).slice(0, 20)}`, c];
      }
      if (!Array.isArray(node)) {
        const c = clone();
        let at: Record<string | number, unknown> = c;
        for (const p of path) at = at[p] as Record<string | number, unknown>;
        delete at[k];
        yield [`${[...path, k].join(".")} removed`, c];
      }
      yield* walk((node as Record<string | number, unknown>)[k], [...path, k]);
    }
    if (!Array.isArray(node)) {
      const c = clone();
      let at: Record<string | number, unknown> = c;
      for (const p of path) at = at[p] as Record<string | number, unknown>;
      at.surprise = 1;
      yield [`${path.join(".")}.surprise added`, c];
    }
  }
  yield* walk(root, []);
}

describe("compiled event check", () => {
  it("accepts every real event of the corpus (so the fast path is the one taken), as zod does", () => {
    expect(new Set(corpus.map((e) => e.type)).size).toBeGreaterThanOrEqual(18);
    for (const e of corpus) {
      expect(zodDecode(e).ok, String(e.type)).toBe(true);
      expect(passesCompiledCheck(e), String(e.type)).toBe(true);
    }
  });

  it("never accepts what zod rejects, and what it accepts zod returns unchanged", () => {
    let accepted = 0;
    let rejected = 0;
    for (const e of corpus) {
      for (const [what, m] of mutants(e)) {
        const fast = passesCompiledCheck(m);
        const ref = zodDecode(m);
        if (fast) {
          accepted++;
          expect(ref.ok, `${String(e.type)}: ${what}`).toBe(true);
          expect(ref.value).toEqual(m);
        } else rejected++;
      }
    }
    // both kinds occur in numbers: the comparison above is not vacuous
    expect(accepted).toBeGreaterThan(500);
    expect(rejected).toBeGreaterThan(5000);
  });
});
