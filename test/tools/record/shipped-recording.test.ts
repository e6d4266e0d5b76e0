// The shipped recording of a real regtest node (data/): replayed at max speed, its event-derived
// counters equal the /metrics scrape the live run took while it recorded.
//
// The live run was scraped shortly before it stopped, so the recording goes on a little after the
// scrape. The scrape's peerwatch_events_total says how many events of each source and type the
// metrics tool had handled; the bus hands every subscriber events in the same order, so that is a
// prefix of the recording. The test finds where that prefix ends, checks every per-type count agrees
// with that one cut, replays exactly that prefix, and requires every event-derived counter to match.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { MemoryBus } from "../../../src/bus/index.js";
import { startTools } from "../../../src/cli/start-tools.js";
import { loadThresholds } from "../../../src/tools/alerts/thresholds.js";
import { loadIpLists } from "../../../src/iplists/load-lists.js";
import { RecordingPlayer, type BadLine } from "../../../src/tools/record/player.js";
import { REPO_ROOT } from "../../helpers/capture.js";
import { eventCounters, quietLog } from "../../helpers/recording.js";
import { reportSkip } from "../../helpers/skip.js";

const RECORDING = path.join(REPO_ROOT, "data/regtest-demo.ndjson.gz");
const LIVE_METRICS = path.join(REPO_ROOT, "data/regtest-demo.metrics.txt");

/** Index just past the last line the scrape had counted, from peerwatch_events_total{source,type}. */
function cutOfScrape(lines: string[], live: Map<string, number>): number {
  const want = new Map<string, number>();
  for (const [k, n] of live) {
    const m = /^peerwatch_events_total\{source="([^"]+)",type="([^"]+)"\}$/.exec(k);
    if (m) want.set(`${m[1]}|${m[2]}`, n);
  }
  const seen = new Map<string, number>();
  let cut = 0;
  lines.forEach((l, i) => {
    const e = JSON.parse(l) as { source: string; type: string };
    const key = `${e.source}|${e.type}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    if (n === want.get(key)) cut = Math.max(cut, i + 1);
  });
  return cut;
}

if (!fs.existsSync(RECORDING) || !fs.existsSync(LIVE_METRICS)) {
  reportSkip("the shipped recording", `${path.relative(REPO_ROOT, RECORDING)} or ${path.relative(REPO_ROOT, LIVE_METRICS)} is not in this tree`);
} else {
  describe("the shipped recording", () => {
    it("is at most 3 MB and every line is an event", async () => {
      expect(fs.statSync(RECORDING).size).toBeLessThanOrEqual(3 * 1024 * 1024);
      const bus = new MemoryBus({ nodeName: "r" });
      const bad: BadLine[] = [];
      const s = await new RecordingPlayer(bus, { files: [RECORDING], speed: "max", nodeName: "r", onBadLine: (b) => bad.push(b) }).play();
      await bus.close();
      expect(bad).toEqual([]);
      expect(s.events).toBeGreaterThan(1000);
    });

    it("replayed at max speed up to the live scrape, gives exactly the live run's event-derived counters", async () => {
      const live = eventCounters(fs.readFileSync(LIVE_METRICS, "utf8"));
      expect(live.size).toBeGreaterThan(10);
      const lines = zlib.gunzipSync(fs.readFileSync(RECORDING)).toString("utf8").split("\n").filter(Boolean);
      const cut = cutOfScrape(lines, live);
      expect(cut).toBeGreaterThan(lines.length / 2);
      const prefix = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pw-shipped-")), "prefix.ndjson");
      fs.writeFileSync(prefix, lines.slice(0, cut).join("\n") + "\n");

      const bus = new MemoryBus({ nodeName: "replayer" });
      const tools = (await startTools(bus, { metrics: "off", nodeName: "replayer", web: "off" }, loadThresholds(undefined), loadIpLists(), quietLog))!;
      await new RecordingPlayer(bus, { files: [prefix], speed: "max", nodeName: "replayer" }).play();
      await bus.drained();
      const replayed = eventCounters(await tools.metrics.registry.metrics());
      await bus.close();
      await tools.close();
      expect(replayed).toEqual(live);
    }, 120_000);
  });
}
