// Adaptive baselines: quiet while warming up, quiet on a benign recording looped for a simulated
// day, an `anomaly` naming the rate, how far, since when and the top peer when a flood comes; the
// learnt normal survives a restart through the state file, and a damaged file starts afresh.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { decodeEventLine, type PeerwatchEvent } from "../../src/events/index.js";
import { BaselineWatch, DEFAULT_BASELINE } from "../../src/tools/baselines/baseline-watch.js";
import { REPO_ROOT } from "../helpers/capture.js";
import { ev, msg } from "../helpers/events.js";

const LEARNT = new Set(BaselineWatch.prefixes);
function demoEvents(): PeerwatchEvent[] {
  const lines = gunzipSync(fs.readFileSync(path.join(REPO_ROOT, "data/regtest-demo.ndjson.gz")))
    .toString("utf8")
    .split("\n");
  const out: PeerwatchEvent[] = [];
  for (const l of lines) {
    if (!l) continue;
    const r = decodeEventLine(l, "demo");
    if (r.ok && LEARNT.has(r.value.type)) out.push(r.value);
  }
  return out.sort((a, b) => a.ts - b.ts);
}

/** The demo played back to back from `start` for `seconds`, each copy shifted in time. */
function* looped(events: PeerwatchEvent[], start: number, seconds: number): Generator<PeerwatchEvent> {
  const t0 = events[0]!.ts;
  const period = events[events.length - 1]!.ts - t0 + 1_000_000;
  for (let k = 0; k * period < seconds * 1e6; k++) for (const e of events) yield { ...e, ts: start + k * period + (e.ts - t0) } as PeerwatchEvent;
}

/** Feeds `events` looped from `start` for `seconds` into `w`: the alerts it raised and the last event's time. */
function feedLooped(w: BaselineWatch, events: PeerwatchEvent[], start: number, seconds: number): { alerts: number; end: number } {
  let alerts = 0;
  let end = start;
  for (const e of looped(events, start, seconds)) {
    alerts += w.onEvent(e).length;
    end = e.ts;
  }
  return { alerts, end };
}

const pingFlood = (start: number, n: number, seconds: number) =>
  Array.from(
    { length: n },
    (_, i) =>
      ({ ...ev("net.message", msg(77, "ping", "in", 8, { addr: "127.0.80.1:40000" })), ts: start + Math.floor((i * seconds * 1e6) / n) }) as PeerwatchEvent,
  );

/** A lab recording's learnt events, moved to begin at `start` (test/lab replays the same files). */
function labEvents(name: string, start: number): PeerwatchEvent[] {
  const lines = gunzipSync(fs.readFileSync(path.join(REPO_ROOT, `data/attacks/${name}.ndjson.gz`)))
    .toString("utf8")
    .split("\n");
  const out: PeerwatchEvent[] = [];
  for (const l of lines) {
    const r = l ? decodeEventLine(l, name) : undefined;
    if (r?.ok && LEARNT.has(r.value.type)) out.push(r.value);
  }
  out.sort((a, b) => a.ts - b.ts);
  const t0 = out[0]!.ts;
  return out.map((e) => ({ ...e, ts: start + (e.ts - t0) }) as PeerwatchEvent);
}

describe("adaptive baselines", () => {
  const demo = demoEvents();
  const START = 1_800_000_000_000_000;

  it("raises no anomaly on the demo looped for a simulated day, then one for a ping flood, saying which rate, how far, since when and who", () => {
    const w = new BaselineWatch();
    const { alerts, end } = feedLooped(w, demo, START, 24 * 3600);
    expect(alerts).toBe(0);
    expect(w.normal("msg:ping:in")!.n).toBeGreaterThan(1000);
    const flood = pingFlood(end + 1_000_000, 20_000, 30);
    const raised = [...flood, ev("net.message", msg(1, "pong", "out"), 0)].flatMap((e, i, all) =>
      w.onEvent(i === all.length - 1 ? { ...e, ts: end + 200_000_000 } : e),
    );
    expect(raised).toEqual([
      {
        name: "anomaly",
        severity: "warning",
        detail: expect.stringMatching(
          /^ping messages received per minute: [0-9,]{6} in the 60 s to .*Z, [0-9.]+× the overall normal [0-9]+ ± [0-9]+ \(z [0-9.]+; thresholds 3× and z 6\), anomalous since .*Z; most from peer 77 \(127\.0\.80\.1:40000\) [0-9,]{6} \(100%\)/,
        ),
      },
    ]);
  });

  it("after a simulated day of the demo, raises an anomaly for each flood the lab recorded on a real node", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-baseline-lab-"));
    const file = path.join(dir, "state.json");
    const warm = new BaselineWatch({ ...DEFAULT_BASELINE, stateFile: file });
    let end = START;
    for (const e of looped(demo, START, 24 * 3600)) {
      warm.onEvent(e);
      end = e.ts;
    }
    warm.save(end);
    const raisedBy: Record<string, string[]> = {};
    for (const name of ["ping-flood", "addr-flood", "inv-flood", "tx-flood", "conn-churn"]) {
      // Each flood against the same learnt day, from the state file, as a restarted peerwatch would.
      const w = new BaselineWatch({ ...DEFAULT_BASELINE, stateFile: file });
      const events = labEvents(name, end + 60e6);
      const last = events[events.length - 1]!.ts;
      const close = { ...ev("net.message", msg(1, "pong", "out"), 0), ts: last + 180e6 } as PeerwatchEvent; // ends the last minute
      raisedBy[name] = [...events, close].flatMap((e) => w.onEvent(e)).map((a) => `${a.name}: ${a.detail.split(" in the 60 s")[0]}`);
    }
    fs.rmSync(dir, { recursive: true, force: true });
    for (const [name, raised] of Object.entries(raisedBy)) expect(raised.length, `${name}: ${JSON.stringify(raisedBy)}`).toBeGreaterThan(0);
  });

  it("after three simulated days and two hours of the demo (hour profiles in use): no anomaly on it, one per lab flood against the hour's normal", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-baseline-days-"));
    const file = path.join(dir, "state.json");
    const warm = new BaselineWatch({ ...DEFAULT_BASELINE, stateFile: file });
    const { alerts, end } = feedLooped(warm, demo, START, (3 * 24 + 2) * 3600);
    expect(alerts).toBe(0);
    const hour = new Date(end / 1000).getUTCHours();
    expect(warm.hourNormal("msg:ping:in", hour)!.n).toBeGreaterThanOrEqual(DEFAULT_BASELINE.profileDays * 60);
    warm.save(end);
    const raisedBy: Record<string, string[]> = {};
    for (const name of ["ping-flood", "addr-flood", "inv-flood", "tx-flood", "conn-churn"]) {
      const w = new BaselineWatch({ ...DEFAULT_BASELINE, stateFile: file });
      const events = labEvents(name, end + 60e6);
      const last = events[events.length - 1]!.ts;
      const close = { ...ev("net.message", msg(1, "pong", "out"), 0), ts: last + 180e6 } as PeerwatchEvent;
      raisedBy[name] = [...events, close].flatMap((e) => w.onEvent(e)).map((a) => `${a.name}: ${a.detail}`);
    }
    fs.rmSync(dir, { recursive: true, force: true });
    for (const [name, raised] of Object.entries(raisedBy)) {
      expect(raised.length, `${name}: ${JSON.stringify(raisedBy)}`).toBeGreaterThan(0);
      expect(raised[0], name).toMatch(/× the [0-9]{2}:00-[0-9]{2}:00 UTC normal /);
    }
  });

  it("raises no anomaly on a benign lab recording looped for three simulated days and two hours, its hours' profiles in use at the end", () => {
    const events = labEvents("benign-traffic", START);
    const w = new BaselineWatch();
    const { alerts, end } = feedLooped(w, events, START, (3 * 24 + 2) * 3600);
    expect(alerts).toBe(0);
    expect(w.hourNormal("msg:getdata:in", new Date(end / 1000).getUTCHours())!.n).toBeGreaterThanOrEqual(DEFAULT_BASELINE.profileDays * 60);
  });

  it("says nothing during the warm-up, however large the rate", () => {
    const w = new BaselineWatch();
    const events = [
      ...pingFlood(START, 5000, 30),
      ...pingFlood(START + 120e6, 10, 30),
      ...pingFlood(START + 300e6, 20_000, 30),
      ev("net.message", msg(1, "pong", "out"), 0),
    ];
    events[events.length - 1] = { ...events[events.length - 1]!, ts: START + 600e6 } as PeerwatchEvent;
    expect(events.flatMap((e) => w.onEvent(e))).toEqual([]);
  });

  it("keeps the learnt normal in the state file across a restart; a damaged file starts afresh with a message", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-baseline-"));
    const file = path.join(dir, "state.json");
    const a = new BaselineWatch({ ...DEFAULT_BASELINE, stateFile: file });
    let end = START;
    for (const e of looped(demo, START, 2 * 3600)) {
      a.onEvent(e);
      end = e.ts;
    }
    a.save(end);
    const b = new BaselineWatch({ ...DEFAULT_BASELINE, stateFile: file });
    expect(b.problems).toEqual([]);
    expect(b.normal("msg:ping:in")).toEqual(a.normal("msg:ping:in"));
    // Warm already: a flood right after the restart is an anomaly.
    const raised = [...pingFlood(end + 3600e6, 20_000, 30), { ...ev("net.message", msg(1, "pong", "out"), 0), ts: end + 3700e6 } as PeerwatchEvent].flatMap(
      (e) => b.onEvent(e),
    );
    expect(raised.map((x) => x.name)).toEqual(["anomaly"]);
    fs.writeFileSync(file, '{"v":1,"bucketSeconds":60,"savedTs":1,"rates":{"x":{"n":-1,"mean":0,"variance":0}}}');
    const c = new BaselineWatch({ ...DEFAULT_BASELINE, stateFile: file });
    expect(c.problems).toEqual([expect.stringMatching(/baseline state .*state\.json: rates\.x\.n: .*starting afresh/)]);
  });
});
