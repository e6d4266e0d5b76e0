// compare's cost samples from the real /proc: peerwatch itself, a child named bpftrace, the node.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { childrenNamed, parentAndName, sampleProcesses } from "../../src/proc/process-sampler.js";

describe("process sampler", () => {
  it("reads parent and name from a stat line whose name has spaces and parentheses", () => {
    expect(parentAndName("4242 (b-msg (x) y) S 17 4242 4242 0 -1 4194560 0 0 0 0 5 3 0 0 20 0 12 0 1 2 3")).toEqual({ ppid: 17, name: "b-msg (x) y" });
    expect(parentAndName("garbage")).toBeUndefined();
  });

  it("finds the bpftrace children of this process and samples them, itself and the node", async () => {
    // A child whose name is bpftrace: a copy of sleep under that name.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-sampler-"));
    const fake = path.join(dir, "bpftrace");
    fs.copyFileSync("/bin/sleep", fake);
    fs.chmodSync(fake, 0o755);
    const child = spawn(fake, ["30"], { stdio: "ignore" });
    const other = spawn("/bin/sleep", ["30"], { stdio: "ignore" });
    try {
      await new Promise((r) => setTimeout(r, 200));
      expect(childrenNamed(process.pid, "bpftrace")).toEqual([child.pid]);
      const samples = sampleProcesses(other.pid);
      expect(samples.map((s) => [s.role, s.pid])).toEqual([
        ["peerwatch", process.pid],
        ["bpftrace", child.pid],
        ["node", other.pid],
      ]);
      const self = samples[0]!;
      expect(self.threads.some((t) => t.tid === process.pid)).toBe(true);
      expect(self.threads.reduce((n, t) => n + t.userSeconds + t.systemSeconds, 0)).toBeGreaterThan(0);
    } finally {
      await Promise.all(
        [child, other].map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : (c.once("exit", r), c.kill())))),
      );
    }
  });

  it("leaves out a node process that is gone", () => {
    expect(sampleProcesses(2 ** 22 + 12345).map((s) => s.role)).toEqual(["peerwatch"]);
  });
});
