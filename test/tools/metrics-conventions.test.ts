// Metrics by Prometheus conventions, on a live scrape of `peerwatch observe`: promtool's lint is
// clean (prom-client's `_total` gauges are gone) and the known events_dropped_total series exist at
// 0 before anything was lost, so a dashboard tells "no drops" from "no data".
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { KNOWN_DROPS } from "../../src/events/index.js";
import { observeWithMetrics } from "../helpers/live-metrics.js";
import { reportSkip } from "../helpers/skip.js";

const hasPromtool = !spawnSync("promtool", ["--version"]).error;
if (!hasPromtool) reportSkip("metrics conventions", "promtool is not installed (Debian: prometheus; scripts/setup --test installs it)");

async function liveScrape(): Promise<string> {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), "pw-scrape-"));
  const { cli, scrape } = await observeWithMetrics(["observe", "--datadir", empty, "--metrics", "127.0.0.1:0", "--events", "-"]);
  const body = await scrape();
  expect(await cli.stop()).toBe(0);
  return body;
}

describe.skipIf(!hasPromtool)("metrics conventions on a live scrape", () => {
  it("passes promtool check metrics and starts the known drop series at 0", async () => {
    const body = await liveScrape();
    const lint = spawnSync("promtool", ["check", "metrics"], { input: body, encoding: "utf8" });
    expect(lint.stdout + lint.stderr).toBe("");
    expect(lint.status).toBe(0);
    expect(body).not.toMatch(/^nodejs_active_\w+_total /m);
    // The self-metrics every Prometheus client library exports, under their usual names.
    for (const n of [
      "process_resident_memory_bytes",
      "process_cpu_seconds_total",
      "process_open_fds",
      "process_start_time_seconds",
      "nodejs_heap_size_used_bytes",
    ])
      expect(body).toMatch(new RegExp(`^${n} \\d`, "m"));
    for (const d of KNOWN_DROPS) {
      expect(body).toContain(`peerwatch_events_dropped_total{source="${d.source}",reason="${d.reason}"} 0`);
    }
  });
});
