// Long-running commands run until stopped or --duration, even when nothing else holds Node's event
// loop: no source could start and --metrics off (observe), or NATS is not reachable (tools). Both
// used to exit 0 within a second when no --duration timer held the loop (issue 22).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { LiveCli } from "../helpers/cli.js";
import { until } from "../helpers/wait.js";

const empty = fs.mkdtempSync(path.join(os.tmpdir(), "pw-keep-"));

/** "running" if the command is still up `ms` after it has said what it is waiting for, else its exit code. */
async function stillRunning(cli: LiveCli, ms: number): Promise<unknown> {
  return Promise.race([cli.exited, new Promise((r) => setTimeout(() => r("running"), ms))]);
}

describe("long-running commands with nothing else to keep them alive", () => {
  it("observe --metrics off --no-demo with no node runs until SIGTERM", async () => {
    const cli = new LiveCli(["observe", "--datadir", empty, "--metrics", "off", "--no-demo", "--events", "-"]);
    try {
      // Every source has said it is down: all observe does now is wait.
      await cli.waitFor(() => cli.events.filter((e) => e.type === "source.status").length >= 6, 10_000);
      expect(await stillRunning(cli, 1500)).toBe("running");
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });

  it("tools --nats with no NATS server and --metrics off keeps retrying until SIGTERM", async () => {
    const cli = new LiveCli(["tools", "--nats", "nats://127.0.0.1:1", "--metrics", "off"]);
    try {
      // After its first-connect wait (5 s), tools goes on retrying in the background.
      await until(() => /not connected yet/.test(cli.stderr), 15_000);
      expect(await stillRunning(cli, 1500)).toBe("running");
    } finally {
      await cli.stop();
    }
    expect(cli.stderr).toMatch(/SIGTERM: stopping/);
  });
});
