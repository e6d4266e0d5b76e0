// `peerwatch compare` live says at once which sources are not up and why, as observe does, instead
// of being silent for its whole --duration (issue 22).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { CLI } from "../../helpers/cli.js";
import { until } from "../../helpers/wait.js";

describe("compare with no node", () => {
  it("logs each source that is down, with the reason, long before its --duration ends", async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "pw-cmp-"));
    const t0 = Date.now();
    // The report goes to stdout at the end; what compare says meanwhile goes to stderr.
    const child = spawn(process.execPath, [CLI, "compare", "--datadir", empty, "--duration", "30"], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise((r) => child.on("close", r));
    try {
      await until(
        () => /ipc down: no IPC socket/.test(stderr) && /rpc down: no readable RPC cookie/.test(stderr) && /log down: no readable log/.test(stderr),
        15_000,
      );
      expect(Date.now() - t0).toBeLessThan(15_000);
      expect(child.exitCode).toBeNull(); // still comparing
    } finally {
      child.kill("SIGTERM");
      await exited;
    }
  });
});
