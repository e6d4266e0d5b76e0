// The detectors of issue 20 stay quiet on the shipped benign recordings: the demo (a real regtest
// node with two peers, blocks, RBF, rejections; its scripted ping flood is the one alert it may raise) from every source together and
// from each source alone, and the lab's benign-* recordings when they are in data/attacks/.
import fs from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { decodeEventLine, type PeerwatchEvent } from "../../../src/events/index.js";
import { AlertEngine } from "../../../src/tools/alerts/alert-engine.js";
import { detectorHeuristics } from "../../../src/tools/alerts/detectors.js";
import { DEFAULT_THRESHOLDS } from "../../../src/tools/alerts/thresholds.js";
import { REPO_ROOT } from "../../helpers/capture.js";

function readRecording(file: string): PeerwatchEvent[] {
  const lines = gunzipSync(fs.readFileSync(file)).toString("utf8").split("\n");
  const out: PeerwatchEvent[] = [];
  lines.forEach((l, i) => {
    if (l === "") return;
    const r = decodeEventLine(l, `${file} line ${i + 1}`);
    if (r.ok && r.value.type !== "alert") out.push(r.value);
  });
  return out;
}

/** The alerts the new detectors raise on a recording (optionally one source alone, as the scorecard's columns do). */
function detectorAlerts(events: PeerwatchEvent[], only?: string) {
  const engine = new AlertEngine(detectorHeuristics(DEFAULT_THRESHOLDS), DEFAULT_THRESHOLDS);
  return events.filter((e) => only === undefined || e.source === only).flatMap((e) => engine.onEvent(e));
}

const benign = [path.join(REPO_ROOT, "data/regtest-demo.ndjson.gz")];
const attacks = path.join(REPO_ROOT, "data/attacks");
if (fs.existsSync(attacks)) for (const f of fs.readdirSync(attacks)) if (/^benign-.*\.ndjson\.gz$/.test(f)) benign.push(path.join(attacks, f));

describe("the detectors on benign recordings", () => {
  for (const file of benign) {
    const events = readRecording(file);
    for (const only of [undefined, "ipc", "ebpf", "rpc", "log", "p2p"]) {
      it(`${path.basename(file)}${only ? ` (${only} alone)` : ""}: no warning`, () => {
        expect(events.length).toBeGreaterThan(100);
        // The demo's one attack: its scripted ping flood (peer 3, "/record-demo-flood:0.1/"), which raised ping-spam live.
        const scripted = (a: { name: string; peerId?: number }) => path.basename(file) === "regtest-demo.ndjson.gz" && a.name === "ping-spam" && a.peerId === 3;
        expect(detectorAlerts(events, only).filter((a) => a.severity !== "info" && !scripted(a))).toEqual([]);
      });
    }
  }
});
