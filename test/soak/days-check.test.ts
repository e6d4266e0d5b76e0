// The days soak's verdict (checkDays) on made-up runs: the live heap after a full collection is what
// says "kept", and samples taken right after a forced collection stay out of the floors.
import { describe, expect, it } from "vitest";
import { checkDays, DAY_US, type DaysSample, type MemoryProbe, type ProbePoint, probeWords } from "./days-soak.js";

const MIB = 2 ** 20;

function sample(days: number, rssMib: number, extra: Partial<DaysSample> = {}): DaysSample {
  const p = { rssKib: rssMib * 1024, fds: 20, heapBytes: 40 * MIB, series: 300, queued: 0, dropped: 0 };
  return { t: days * 100, days, replay: p, tools: { ...p }, eventsBytes: 1000, ...extra };
}

function mem(heapUsedMib: number, atRest = true): MemoryProbe {
  return { rss: 150 * MIB, heapTotal: 80 * MIB, heapUsed: heapUsedMib * MIB, external: 5 * MIB, arrayBuffers: 2 * MIB, atRest, waitedMs: 1400 };
}

function run(probes: ProbePoint[], samples = Array.from({ length: 40 }, (_, i) => sample(i / 20, 150))) {
  const spanUs = DAY_US / 20;
  return checkDays({ days: 2, passes: 40, spanUs, eventsPerPass: 100, wallSeconds: 40, samples, probes, exits: { replay: 0, tools: 0 }, problems: [] });
}

describe("days soak verdict", () => {
  it("passes a run whose live heap after full collections stays flat", () => {
    expect(
      run([
        { days: 1, replay: mem(50), tools: mem(40) },
        { days: 2, replay: mem(52), tools: mem(41) },
      ]),
    ).toEqual([]);
  });

  it("fails a live heap that grows more than 10 % between the end of day 1 and the stop, naming the process", () => {
    const f = run([
      { days: 1, replay: mem(50), tools: mem(40) },
      { days: 2, replay: mem(51), tools: mem(46) },
    ]);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatch(/^tools live heap grew: .* \(×1\.150, limit ×1\.10\)$/);
  });

  it("says whether a probe found the process at rest, and a growth found with one that did not says events in flight are in it", () => {
    expect(probeWords(mem(40))).toBe("RSS 150.0 = heap 80.0 (live 40.0) + external 5.0 + other 65.0 MiB, at rest after 1.4 s");
    expect(probeWords(mem(40, false))).toMatch(/, NOT at rest after 1\.4 s$/);
    const f = run([
      { days: 1, replay: mem(40), tools: mem(30) },
      { days: 2, replay: mem(46, false), tools: mem(30) },
    ]);
    expect(f).toEqual([expect.stringMatching(/^replay live heap grew: .*\(×1\.150, limit ×1\.10\); a probe was not at rest, so events in flight are in it$/)]);
  });

  it("fails a run without a probe after the first day and one at the stop", () => {
    expect(run([{ days: 2, replay: mem(50), tools: mem(40) }])).toEqual([
      "memory probes: 1 answered, one after the first simulated day and one at the stop are needed",
    ]);
  });

  it("leaves samples right after a forced collection out of the RSS floors", () => {
    const probes = [
      { days: 1, replay: mem(50), tools: mem(40) },
      { days: 2, replay: mem(50), tools: mem(40) },
    ];
    // Day 2 at 150 MiB, except one sample just after the probe's collection at 120: as a floor it would read as growth (150/120).
    const samples = Array.from({ length: 40 }, (_, i) => sample(i / 20, 150));
    samples[20] = sample(1, 120, { settling: true });
    expect(run(probes, samples)).toEqual([]);
    samples[20] = sample(1, 120);
    expect(run(probes, samples).join("\n")).toMatch(/replay RSS grew/);
  });
});
