// The heuristics' window structures: exact against brute force, and bounded under floods (a fixed
// array per key, a capped number of keys), so a flood costs per event what normal traffic does.
// Sizes are checked, never times (speed is measured by `npm run bench -- flood`).
import { describe, expect, it } from "vitest";
import { AlertEngine, defaultHeuristics } from "../../src/tools/alerts/alert-engine.js";
import { ProcessingBacklog } from "../../src/tools/alerts/heuristics.js";
import { DEFAULT_THRESHOLDS } from "../../src/tools/alerts/thresholds.js";
import { RecentSamples, WindowMax, WindowSum } from "../../src/tools/alerts/windows.js";
import { DEFAULT_LISTS_DIR, loadIpLists } from "../../src/iplists/load-lists.js";
import { ev, msg } from "../helpers/events.js";

/** A small deterministic PRNG, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe("WindowSum", () => {
  it("equals a brute-force sum over its buckets, on a random stream with late events", () => {
    const windowUs = 60_000_000;
    const w = new WindowSum(windowUs, 60, 100);
    const random = rng(7);
    const seen: { key: number; b: number; v: number }[] = [];
    const newest = new Map<number, number>();
    let t = 1_795_000_000_000_000;
    for (let i = 0; i < 8000; i++) {
      t += Math.floor(random() * 50_000); // up to 50 ms apart: many events per bucket
      const at = t - (random() < 0.1 ? Math.floor(random() * 90_000_000) : 0); // some up to 90 s late
      const key = Math.floor(random() * 5);
      const v = 1 + Math.floor(random() * 3);
      const b = Math.floor(at / w.bucketUs);
      const nb = Math.max(newest.get(key) ?? b, b);
      newest.set(key, nb);
      if (b > nb - 60) seen.push({ key, b, v }); // older than the window when it arrives: not counted
      const got = w.add(key, at, v);
      const want = seen.filter((x) => x.key === key && x.b > nb - 60).reduce((a, x) => a + x.v, 0);
      expect(got).toBe(want);
    }
    // and after a quiet minute everything has left the window
    for (let key = 0; key < 5; key++) expect(w.sum(key, t + windowUs + w.bucketUs)).toBe(0);
  });

  it("counts a 300,000-event flood from one key exactly in one array, and caps the keys", () => {
    const w = new WindowSum(60_000_000, 60, 1000);
    const t0 = 1_795_000_000_000_000;
    let n = 0;
    for (let i = 0; i < 300_000; i++) n = w.add(42, t0 + i * 100); // 10,000 a second for 30 s
    expect(n).toBe(300_000);
    expect(w.size).toBe(1);
    // 1M distinct keys (a flood of peer ids): never more than maxKeys held
    for (let k = 0; k < 1_000_000; k++) w.add(k, t0 + 30_000_000, 1);
    expect(w.size).toBe(1000);
    // the recent keys are the ones kept, with their own counts
    expect(w.sum(999_999, t0 + 30_000_000)).toBe(1);
    expect(w.sum(0, t0 + 30_000_000)).toBe(0);
  });
});

describe("WindowMax", () => {
  it("equals a brute-force maximum over the window, holding a bounded queue", () => {
    const windowUs = 1_800_000_000;
    const m = new WindowMax(windowUs, 4096);
    const random = rng(11);
    const all: { t: number; v: number }[] = [];
    let t = 0;
    for (let i = 0; i < 5000; i++) {
      t += Math.floor(random() * 60_000_000);
      const want = Math.max(-Infinity, ...all.filter((x) => x.t > t - windowUs).map((x) => x.v));
      expect(m.max(t)).toBe(want);
      const v = random();
      m.add(t, v);
      all.push({ t, v });
      expect(m.length).toBeLessThanOrEqual(4096);
    }
    const flood = new WindowMax(windowUs, 100);
    for (let i = 0; i < 100_000; i++) flood.add(i, 1 - i / 100_000); // decreasing: nothing can be dropped as dominated
    expect(flood.length).toBe(100);
  });
});

describe("RecentSamples", () => {
  it("keeps the last `capacity` samples", () => {
    const r = new RecentSamples(3);
    for (let i = 1; i <= 5; i++) r.add(i, i * 10);
    expect(r.valuesSince(0).sort()).toEqual([30, 40, 50]);
    expect(r.valuesSince(4)).toEqual([50]);
  });
});

describe("heuristics on window counts", () => {
  it("processing-backlog's count test agrees with a sorted nearest-rank p95 on random samples", () => {
    const random = rng(3);
    for (let trial = 0; trial < 300; trial++) {
      const h = new ProcessingBacklog(DEFAULT_THRESHOLDS);
      const xs: number[] = [];
      const n = 5 + Math.floor(random() * 60);
      const slowShare = random() * 0.2;
      for (let i = 0; i < n; i++) {
        const rtt = random() < slowShare ? 1 + random() * 3 : random() * 0.5;
        xs.push(rtt);
        const raised = h.onEvent(ev("ping.rtt", { rttNs: Math.round(rtt * 1e9), target: "127.0.0.1:8333" }, i, "p2p"), () => true);
        const sorted = [...xs].map((x) => Math.round(x * 1e9) / 1e9).sort((a, b) => a - b);
        const p95 = sorted[Math.ceil(0.95 * sorted.length) - 1]!;
        expect(raised.length, `trial ${trial}, sample ${i}`).toBe(xs.length >= 5 && p95 > 1 ? 1 : 0);
      }
    }
  });

  it("a 300,000-ping flood from one peer raises ping-spam once and keeps one window key", () => {
    const lists = loadIpLists(DEFAULT_LISTS_DIR);
    const heuristics = defaultHeuristics(DEFAULT_THRESHOLDS, lists.tree);
    const engine = new AlertEngine(heuristics, DEFAULT_THRESHOLDS);
    const ping = ev("net.message", msg(7, "ping"), 0);
    const alerts = [];
    for (let i = 0; i < 300_000; i++) alerts.push(...engine.onEvent({ ...ping, ts: ping.ts + i * 100 }));
    expect(alerts.map((a) => [a.name, a.peerId])).toEqual([["ping-spam", 7]]);
    expect(alerts[0]!.detail).toMatch(/sent 21 pings in 60 s/);
    const pingSpam = heuristics.find((h) => h.name === "ping-spam") as unknown as { pings: WindowSum };
    expect(pingSpam.pings.size).toBe(1);
    expect(pingSpam.pings.sum(7, ping.ts + 300_000 * 100)).toBe(300_000);
  });
});
