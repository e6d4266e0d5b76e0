// The shipped recording of a real regtest node (data/): replayed at max speed, its event-derived
// counters equal the last /metrics scrape of the live run that recorded it.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { MemoryBus } from "../../src/bus/index.js";
import { startTools } from "../../src/cli/tools.js";
import { loadThresholds } from "../../src/tools/alerts/thresholds.js";
import { loadIpLists } from "../../src/tools/iplists/load-lists.js";
import { RecordingPlayer, type BadLine } from "../../src/tools/record/player.js";
import { REPO_ROOT } from "../helpers/capture.js";
import { eventCounters, quietLog } from "../helpers/recording.js";
import { reportSkip } from "../helpers/skip.js";

const RECORDING = path.join(REPO_ROOT, "data/regtest-demo.ndjson.gz");
const LIVE_METRICS = path.join(REPO_ROOT, "data/regtest-demo.metrics.txt");

if (!fs.existsSync(RECORDING) || !fs.existsSync(LIVE_METRICS)) {
  reportSkip("the shipped recording", `${path.relative(REPO_ROOT, RECORDING)} or ${path.relative(REPO_ROOT, LIVE_METRICS)} is not in this tree`);
} else {
  describe("the shipped recording", () => {
    it("replays without a bad line, at most 3 MB, and gives the live run's event-derived counters", async () => {
      expect(fs.statSync(RECORDING).size).toBeLessThanOrEqual(3 * 1024 * 1024);
      const bus = new MemoryBus({ nodeName: "replayer" });
      const tools = (await startTools(bus, { metrics: "off", nodeName: "replayer", web: "off" }, loadThresholds(undefined), loadIpLists(), quietLog))!;
      const bad: BadLine[] = [];
      const summary = await new RecordingPlayer(bus, { files: [RECORDING], speed: "max", nodeName: "replayer", onBadLine: (b) => bad.push(b) }).play();
      await bus.drained();
      const replayed = eventCounters(await tools.metrics.registry.metrics());
      await bus.close();
      await tools.close();
      expect(bad).toEqual([]);
      expect(summary.events).toBeGreaterThan(1000);
      const live = eventCounters(fs.readFileSync(LIVE_METRICS, "utf8"));
      expect(live.size).toBeGreaterThan(10);
      expect(replayed).toEqual(live);
    }, 120_000);
  });
}
