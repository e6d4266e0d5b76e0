import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseStat, readThreads } from "../../src/proc/thread-stats.js";
import { LiveCli } from "../helpers/cli.js";

// A real stat line of a bitcoin-node thread (fields after utime/stime shortened).
const MSGHAND = "4250 (b-msghand) S 4242 4242 4242 0 -1 4194368 1233 0 0 0 1201 300 0 0 20 0 24 0 1234 0 0";

function fakeProc(threads: Record<number, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "pw-proc-"));
  for (const [tid, line] of Object.entries(threads)) {
    const d = path.join(root, "4242", "task", tid);
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, "stat"), `${line}\n`);
  }
  return root;
}

describe("/proc thread stats", () => {
  it("parses utime and stime in seconds", () => {
    expect(parseStat(MSGHAND, 100)).toEqual({ tid: 4250, name: "b-msghand", userSeconds: 12.01, systemSeconds: 3 });
  });

  it("handles names with spaces and parentheses", () => {
    const s = parseStat("77 (a (b) c) R 1 1 1 0 -1 0 0 0 0 0 50 25 0 0", 100);
    expect(s).toEqual({ tid: 77, name: "a (b) c", userSeconds: 0.5, systemSeconds: 0.25 });
  });

  it.each(["", "garbage", "12 (x", "x (y) S 1 2 3", "5 (t) S 1 1 1 0 -1 0 0 0 0 0 -4 1"])("rejects %j", (line) => {
    expect(parseStat(line, 100)).toBeUndefined();
  });

  it("reads every thread of a fake /proc tree and skips unreadable ones", () => {
    const root = fakeProc({ 4242: "4242 (bitcoin-node) S 1 1 1 0 -1 0 0 0 0 0 10 5 0 0", 4250: MSGHAND, 4251: "not a stat line" });
    const threads = readThreads(4242, root);
    expect(threads.map((t) => t.name)).toEqual(["bitcoin-node", "b-msghand"]);
  });

  it("reads the test process's own threads", () => {
    const threads = readThreads(process.pid);
    expect(threads.length).toBeGreaterThan(0);
    expect(threads.some((t) => t.tid === process.pid)).toBe(true);
    expect(threads.every((t) => t.userSeconds >= 0 && t.systemSeconds >= 0)).toBe(true);
  });

  it("throws ENOENT for a process that is gone", () => {
    expect(() => readThreads(4242, fs.mkdtempSync(path.join(os.tmpdir(), "pw-proc-")))).toThrow(/ENOENT/);
  });

  it("the CLI emits threads.snapshot for a PID, and reports down when it is gone", async () => {
    const cli = new LiveCli([
      "observe",
      "--sources",
      "proc",
      "--pid",
      String(process.pid),
      "--proc-interval",
      "0.2",
      "--events",
      "-",
      "--metrics",
      "off",
      "--duration",
      "0.7",
    ]);
    const snap = await cli.waitFor((e) => e.type === "threads.snapshot");
    expect(snap).toMatchObject({ source: "proc", data: { pid: process.pid } });
    expect(await cli.exited).toBe(0);
    const gone = new LiveCli(["observe", "--sources", "proc", "--pid", "999999999", "--events", "-", "--metrics", "off", "--duration", "0.5"]);
    const down = await gone.waitFor((e) => e.type === "source.status");
    expect((down.data as { detail: string }).detail).toMatch(/no process with PID 999999999/);
    await gone.exited;
  });
});
