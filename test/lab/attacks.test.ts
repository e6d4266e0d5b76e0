// The attack lab in CI: every recording in data/attacks/ (real attacks on a real regtest node) is
// replayed through the alert engine with all sources, as `peerwatch replay` runs it. Each attack
// must raise its named alert within its latency; no benign run may raise a warning. Misses known
// today are listed once, in lab/expected-misses.json: they are expected to fail (it.fails), so a
// detector that starts catching one makes this test say so until the entry is removed.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { COLUMNS, loadExpectedMisses, loadManifest, repoRoot, scenarioNamed, scoreRecording, sourceMissReason } from "../../lab/score.js";
import { SCENARIOS } from "../../lab/scenarios/index.js";

const ROOT = repoRoot();
const DIR = path.join(ROOT, "data/attacks");
const manifest = loadManifest(DIR);
const expected = loadExpectedMisses(ROOT);
const ALL = COLUMNS.find((c) => c.key === "all");

describe("attack lab recordings", () => {
  it("lists every recording in the manifest, and every listed one exists", () => {
    const files = fs
      .readdirSync(DIR)
      .filter((f) => f.endsWith(".ndjson.gz"))
      .sort();
    expect(manifest.recordings.map((r) => r.file).sort()).toEqual(files);
    expect(manifest.recordings.filter((r) => r.kind === "attack").length).toBeGreaterThanOrEqual(12);
    expect(manifest.recordings.filter((r) => r.kind === "benign").length).toBeGreaterThanOrEqual(3);
    expect(ALL).toBeDefined();
  });

  it("names only scenarios and recordings that exist in the expected-misses list", () => {
    const names = new Set(manifest.recordings.map((r) => r.name));
    for (const n of [...Object.keys(expected.misses), ...Object.keys(expected.falseWarnings)])
      expect(names, `lab/expected-misses.json names ${n}`).toContain(n);
    for (const r of manifest.recordings) expect(SCENARIOS.map((s) => s.name)).toContain(r.name);
    for (const [n, cols] of Object.entries(expected.sourceMisses)) {
      if (n !== "*") expect(names, `lab/expected-misses.json sourceMisses names ${n}`).toContain(n);
      for (const c of Object.keys(cols)) expect(COLUMNS.filter((x) => x.key !== "all").map((x) => x.key)).toContain(c);
    }
  });

  // Each recording is scored once for both of its tests.
  const scores = new Map<string, ReturnType<typeof scoreRecording>>();
  const scored = (r: (typeof manifest.recordings)[number]) => {
    let p = scores.get(r.name);
    if (!p) scores.set(r.name, (p = scoreRecording(DIR, r, ROOT)));
    return p;
  };

  for (const r of manifest.recordings) {
    const s = scenarioNamed(r.name);
    if (s.kind === "attack")
      it(`${r.name}: each source column's miss says why in lab/expected-misses.json, and no detected cell has a reason left`, async () => {
        const score = await scored(r);
        for (const col of COLUMNS) {
          if (col.key === "all") continue;
          const reason = sourceMissReason(expected, r.name, col.key);
          const own = expected.sourceMisses[r.name]?.[col.key];
          const cell = score.cells[col.key];
          if (cell?.detected) expect(own, `${r.name} / ${col.key} is detected now: remove its sourceMisses entry`).toBeUndefined();
          else expect(reason, `${r.name} / ${col.key} misses (${cell?.why}): give the reason in sourceMisses`).toBeDefined();
        }
      });
    const known = s.kind === "attack" ? expected.misses[r.name] : expected.falseWarnings[r.name];
    const title =
      s.kind === "attack"
        ? `${r.name}: ${s.detectWith.join(" or ")} within ${s.maxLatencySeconds} s of the first message${known ? ` (expected miss: ${known})` : ""}`
        : `${r.name}: no warning${known ? ` (expected false warning: ${known})` : ""}`;
    (known ? it.fails : it)(title, async () => {
      const score = await scored(r);
      const cell = score.cells.all;
      expect(cell).toBeDefined();
      if (!cell) return;
      expect(cell.events, `${r.file} holds events`).toBeGreaterThan(0);
      if (s.kind === "attack") {
        expect(cell.detected, `${r.name}: ${cell.why ?? ""}`).toBe(true);
        expect(cell.latencySeconds).toBeLessThanOrEqual(s.maxLatencySeconds);
      } else {
        expect(cell.otherAlerts.map((a) => `${a.name}: ${a.detail}`)).toEqual([]);
      }
    });
  }
});
