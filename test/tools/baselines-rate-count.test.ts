// A rate's bucket adds a peer's run apart and settles it when another peer comes: the shares must
// be what adding every value to its peer would give, in the order peers were first seen, bounded.
import { describe, expect, it } from "vitest";
import { MAX_PEERS_PER_RATE, RateCount } from "../../src/tools/baselines/rate-count.js";

describe("RateCount", () => {
  it("gives each peer the sum of its values, runs and interleavings alike, in first-seen order", () => {
    const c = new RateCount();
    const naive = new Map<number, number>();
    // runs of one peer, then alternation, then values without a peer
    const feed: [number, number | undefined][] = [
      [1, 5],
      [2, 5],
      [3, 5],
      [4, 9],
      [1, 5],
      [7, 9],
      [2, 3],
      [1, undefined],
      [6, 3],
      [1, 5],
    ];
    const starts: boolean[] = [];
    for (const [v, p] of feed) {
      starts.push(c.add(v, p));
      if (p !== undefined) naive.set(p, (naive.get(p) ?? 0) + v);
    }
    expect(c.sum).toBe(28);
    expect([...c.peers()]).toEqual([...naive]);
    expect(starts).toEqual([true, false, false, true, true, true, true, false, false, true]);
  });

  it("keeps at most MAX_PEERS_PER_RATE peers, the first seen, and still adds to those", () => {
    const c = new RateCount();
    for (let p = 0; p < MAX_PEERS_PER_RATE + 50; p++) c.add(1, p);
    c.add(10, 0);
    c.add(10, MAX_PEERS_PER_RATE + 10);
    const peers = c.peers();
    expect(peers.size).toBe(MAX_PEERS_PER_RATE);
    expect(peers.get(0)).toBe(11);
    expect(peers.has(MAX_PEERS_PER_RATE + 10)).toBe(false);
    expect(c.sum).toBe(MAX_PEERS_PER_RATE + 50 + 20);
  });
});
