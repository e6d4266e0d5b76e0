// The baselines' time-of-day profile: a rate high at 15:00 UTC every day and low the rest of the
// day is an anomaly against the overall normal, but not once the 15:00 hour has been seen on
// profileDays days (before that the overall normal is the one used, and the alert says so); the
// same level at 03:00 is then an anomaly against the 03:00 normal. The profile survives a restart
// through the state file (v2); a v1 file (no profile) still loads, a future-version or corrupt one
// starts afresh with a warning. Simulated event time only.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { EventDataMap, PeerwatchEvent } from "../../src/events/index.js";
import { BaselineWatch, DEFAULT_BASELINE, type BaselineSettings } from "../../src/tools/baselines/baseline-watch.js";
import { ev, msg } from "../helpers/events.js";

const MIN = 60_000_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** Midnight UTC, 2027-01-16. */
const DAY0 = Math.ceil(1_800_000_000_000_000 / DAY) * DAY;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-baseline-profile-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** One inv from peer 5 at `ts` announcing `entries` entries: the `entries:inv` rate of its minute. */
const inv = (ts: number, entries: number): PeerwatchEvent => {
  const data: EventDataMap["net.message"] = msg(5, "inv", "in", 37, { decoded: { entries } });
  return { ...ev("net.message", data), ts } as PeerwatchEvent;
};

/** 100 entries a minute, 5000 a minute from 15:00 to 16:00 UTC (a daily batch job, say), for `days` days from `from`. */
function* days(from: number, count: number, at = (_hour: number) => 0): Generator<PeerwatchEvent> {
  for (let m = 0; m < count * 1440; m++) {
    const ts = from + m * MIN + 30_000_000;
    const hour = Math.floor(m / 60) % 24;
    yield inv(ts, at(hour) || (hour === 15 ? 5000 : 100));
  }
}

interface Raised {
  day: number;
  hour: number;
  detail: string;
}

/** Feeds the events; the anomalies raised, each with the day (from DAY0) and UTC hour of the bucket that closed it. */
function feed(w: BaselineWatch, events: Iterable<PeerwatchEvent>): Raised[] {
  const out: Raised[] = [];
  let last = 0;
  for (const e of events) {
    for (const a of w.onEvent(e)) {
      expect(a.name).toBe("anomaly");
      const closed = e.ts - MIN; // the previous minute's bucket
      out.push({ day: Math.floor((closed - DAY0) / DAY), hour: Math.floor((closed % DAY) / HOUR), detail: a.detail });
    }
    last = e.ts;
  }
  // Close the last minute.
  for (const a of w.onEvent(inv(last + MIN, 100))) out.push({ day: Math.floor((last - DAY0) / DAY), hour: Math.floor((last % DAY) / HOUR), detail: a.detail });
  return out;
}

const settings = (over: Partial<BaselineSettings> = {}): BaselineSettings => ({ ...DEFAULT_BASELINE, ...over });
const summary = (r: Raised[]) => [...new Set(r.map((x) => `day ${x.day} ${x.hour}h ${/× the (.*?) normal/.exec(x.detail)?.[1]}`))];

describe("adaptive baselines: time-of-day profile", () => {
  it("learns that 15:00 is busy: after 3 days of it, raises nothing at 15:00 where the overall normal alone still does", () => {
    const profiled = feed(new BaselineWatch(settings()), days(DAY0, 5));
    // Days 0 to 2: the 15:00 hour has too little history, so the overall normal is used (and says so).
    expect(summary(profiled)).toEqual(["day 0 15h overall", "day 1 15h overall", "day 2 15h overall"]);
    expect(profiled[0]!.detail).toMatch(/^inv entries received per minute: 5,000 in the 60 s to .*Z, [0-9.]+× the overall normal 100 ± 10 \(z /);
    // The overall normal alone (a profile that never has enough history) keeps raising it every day.
    const overallOnly = feed(new BaselineWatch(settings({ profileDays: 1000 })), days(DAY0, 5));
    expect(summary(overallOnly)).toEqual(["day 0 15h overall", "day 1 15h overall", "day 2 15h overall", "day 3 15h overall", "day 4 15h overall"]);
  });

  it("uses an hour's profile only after profileDays days of that hour: the fallback is the overall normal", () => {
    const w = new BaselineWatch(settings());
    feed(w, days(DAY0, 2));
    expect(w.hourNormal("entries:inv", 15)).toMatchObject({ n: 120, mean: 5000 });
    // 2 days of 15:00 seen (120 buckets, 180 needed): 5000 at 15:00 on day 2 is still an anomaly, against the overall normal.
    const day2 = feed(w, days(DAY0 + 2 * DAY, 1));
    expect(summary(day2)).toEqual(["day 2 15h overall"]);
    // Now 3 days: the 15:00 normal is used for 15:00, and the 03:00 one for 03:00, where 5000 is an anomaly.
    const day3 = feed(
      w,
      days(DAY0 + 3 * DAY, 1, (h) => (h === 3 ? 5000 : 0)),
    );
    expect(summary(day3)).toEqual(["day 3 3h 03:00-04:00 UTC"]);
    expect(day3[0]!.detail).toMatch(/× the 03:00-04:00 UTC normal 100 ± 10 \(z /);
    // And far above what 15:00 usually sees is still an anomaly at 15:00, against the 15:00 normal.
    const day4 = feed(
      w,
      days(DAY0 + 4 * DAY, 1, (h) => (h === 15 ? 60_000 : 0)),
    );
    expect(summary(day4)).toEqual(["day 4 15h 15:00-16:00 UTC"]);
    expect(day4[0]!.detail).toMatch(/60,000 in the 60 s to .*Z, 12\.0× the 15:00-16:00 UTC normal 5,000 ± 500 \(z /);
  });

  it("keeps the profile across a restart (state file v2)", () => {
    const file = path.join(dir, "roundtrip.json");
    const a = new BaselineWatch(settings({ stateFile: file }));
    feed(a, days(DAY0, 3));
    a.save(DAY0 + 3 * DAY);
    expect(JSON.parse(fs.readFileSync(file, "utf8"))).toMatchObject({ v: 2, bucketSeconds: 60 });
    const b = new BaselineWatch(settings({ stateFile: file }));
    expect(b.problems).toEqual([]);
    expect(b.normal("entries:inv")).toEqual(a.normal("entries:inv"));
    for (const h of [0, 3, 15, 23]) expect(b.hourNormal("entries:inv", h)).toEqual(a.hourNormal("entries:inv", h));
    // The restarted watch knows 15:00 is busy: nothing on day 3.
    expect(feed(b, days(DAY0 + 3 * DAY, 1))).toEqual([]);
  });

  it("loads a v1 state file (no profile): the overall normal comes back and the profile starts learning", () => {
    const file = path.join(dir, "v1.json");
    const overall = { n: 5000, mean: 100, variance: 4 };
    fs.writeFileSync(file, JSON.stringify({ v: 1, bucketSeconds: 60, savedTs: DAY0, rates: { "entries:inv": overall } }));
    const w = new BaselineWatch(settings({ stateFile: file }));
    expect(w.problems).toEqual([]);
    expect(w.normal("entries:inv")).toEqual(overall);
    expect(w.hourNormal("entries:inv", 15)).toBeUndefined();
    // Warm from the file: 15:00 is an anomaly against the overall normal until the profile has 3 days of it.
    expect(summary(feed(w, days(DAY0, 4)))).toEqual(["day 0 15h overall", "day 1 15h overall", "day 2 15h overall"]);
    w.save(DAY0 + 4 * DAY);
    expect(JSON.parse(fs.readFileSync(file, "utf8")).v).toBe(2);
  });

  it("starts afresh, with a warning naming the file and why, on a future-version or corrupt state file", () => {
    const cases: [string, string, RegExp][] = [
      [
        "future",
        JSON.stringify({ v: 3, bucketSeconds: 60, savedTs: 1, rates: {}, more: [] }),
        /future\.json is format v3, written by a newer peerwatch \(this one reads v1 to v2\): starting afresh/,
      ],
      ["garbage", "\u0000\u0001 not json", /baseline state .*garbage\.json: .*JSON.*: starting afresh/],
      [
        "hours",
        JSON.stringify({ v: 2, bucketSeconds: 60, savedTs: 1, rates: { x: { n: 1, mean: 1, variance: 0, hours: [] } } }),
        /hours\.json: rates\.x\.hours: .*starting afresh/,
      ],
      ["version", JSON.stringify({ v: "2", bucketSeconds: 60, savedTs: 1, rates: {} }), /version\.json: v: .*starting afresh/],
    ];
    for (const [name, text, problem] of cases) {
      const file = path.join(dir, `${name}.json`);
      fs.writeFileSync(file, text);
      const w = new BaselineWatch(settings({ stateFile: file }));
      expect(w.problems, name).toEqual([expect.stringMatching(problem)]);
      expect(w.normal("entries:inv")).toBeUndefined();
      // Learns afresh and replaces the file at the next save.
      feed(w, days(DAY0, 1));
      w.save(DAY0 + DAY);
      expect(w.problems, name).toHaveLength(1);
      expect(new BaselineWatch(settings({ stateFile: file })).problems, name).toEqual([]);
    }
  });
});
