// Following a file while it is written, rotated, truncated; resuming after a restart; a named pipe;
// garbage and huge lines. Real files and a real FIFO (mkfifo) in a temp folder.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LogFollower, type FollowerOptions } from "../../src/log/follower.js";
import { LineSplitter } from "../../src/log/line-splitter.js";
import { until as waitFor } from "../helpers/wait.js";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-follow-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Run {
  lines: string[];
  truncated: string[];
  restarts: string[];
  status: string[];
  follower: LogFollower;
  stop(): Promise<void>;
}

function follow(file: string, opts: Partial<FollowerOptions> = {}): Run {
  const ac = new AbortController();
  const r: Omit<Run, "follower" | "stop"> = { lines: [], truncated: [], restarts: [], status: [] };
  const follower = new LogFollower({
    path: file,
    stateFile: path.join(dir, "state.json"),
    startAt: "start",
    maxLineBytes: 1024,
    chunkBytes: 4096,
    pollMs: 20,
    maxLinesPerSecond: 1_000_000,
    signal: ac.signal,
    onLine: (l) => (l.truncated ? r.truncated : r.lines).push(l.text),
    onRestart: (why) => r.restarts.push(why),
    onStatus: (state, detail) => r.status.push(`${state}: ${detail}`),
    ...opts,
  });
  const done = follower.run();
  return {
    ...r,
    follower,
    stop: async () => {
      ac.abort();
      await done;
    },
  };
}

const append = (file: string, text: string) => fs.appendFileSync(file, text);

describe("LineSplitter", () => {
  it("joins lines split across chunks and keeps the incomplete tail", () => {
    const s = new LineSplitter(100);
    expect(s.push(Buffer.from("ab"))).toEqual([]);
    expect(s.push(Buffer.from("c\nde\nf")).map((l) => l.text)).toEqual(["abc", "de"]);
    expect(s.heldBytes).toBe(1);
    expect(s.push(Buffer.from("\n"))).toEqual([{ text: "f", truncated: false, end: 9 }]);
  });

  it("cuts a line over the limit, skips its rest, and holds no more than the limit", () => {
    const s = new LineSplitter(10);
    const out = s.push(Buffer.from("x".repeat(25)));
    expect(out).toEqual([{ text: "x".repeat(10), truncated: true, end: 25 }]);
    expect(s.heldBytes).toBe(0);
    expect(s.push(Buffer.from("y".repeat(1000)))).toEqual([]);
    expect(s.push(Buffer.from("yy\nok\n")).map((l) => [l.text, l.truncated])).toEqual([["ok", false]]);
  });
});

describe("LogFollower", () => {
  it("reads what is appended, line by line, across partial writes", async () => {
    const f = path.join(dir, "debug.log");
    append(f, "one\ntw");
    const r = follow(f);
    await waitFor(() => r.lines.length === 1);
    append(f, "o\nthree\n");
    await waitFor(() => r.lines.length === 3);
    await r.stop();
    expect(r.lines).toEqual(["one", "two", "three"]);
  });

  it("starts at the end when told to and there is no saved position", async () => {
    const f = path.join(dir, "debug.log");
    append(f, "old 1\nold 2\n");
    const r = follow(f, { startAt: "end" });
    await waitFor(() => r.status.some((s) => s.startsWith("up")));
    append(f, "new\n");
    await waitFor(() => r.lines.length === 1);
    await r.stop();
    expect(r.lines).toEqual(["new"]);
  });

  it("follows a rotation (rename, new file) without losing the old file's last lines", async () => {
    const f = path.join(dir, "debug.log");
    append(f, "a\n");
    const r = follow(f);
    await waitFor(() => r.lines.length === 1);
    append(f, "b\n");
    fs.renameSync(f, `${f}.1`);
    append(`${f}.1`, "c\n"); // the node writes to the old file until it reopens
    await new Promise((res) => setTimeout(res, 100));
    append(f, "d\n");
    await waitFor(() => r.lines.includes("d"));
    append(f, "e\n");
    await waitFor(() => r.lines.includes("e"));
    await r.stop();
    expect(r.lines).toEqual(["a", "b", "c", "d", "e"]);
    expect(r.follower.stats.reopened).toBe(1);
    expect(r.restarts[0]).toMatch(/replaced \(rotated\)/);
  });

  it("keeps reading the old file after logrotate created an empty new one, until the node writes to the new one", async () => {
    const f = path.join(dir, "debug.log");
    append(f, "a\n");
    const r = follow(f);
    await waitFor(() => r.lines.length === 1);
    fs.renameSync(f, `${f}.1`);
    fs.writeFileSync(f, ""); // logrotate's "create"
    await new Promise((res) => setTimeout(res, 100));
    append(`${f}.1`, "b\n"); // the node has not reopened yet
    await waitFor(() => r.lines.includes("b"));
    append(f, "c\n"); // SIGHUP: the node writes to the new file
    await waitFor(() => r.lines.includes("c"));
    await r.stop();
    expect(r.lines).toEqual(["a", "b", "c"]);
  });

  it("starts over when the file is truncated (copytruncate)", async () => {
    const f = path.join(dir, "debug.log");
    append(f, "first line that is long\nsecond\n");
    const r = follow(f);
    await waitFor(() => r.lines.length === 2);
    fs.truncateSync(f, 0);
    await waitFor(() => r.follower.stats.truncated === 1 || fs.statSync(f).size === 0);
    await new Promise((res) => setTimeout(res, 80));
    append(f, "after\n");
    await waitFor(() => r.lines.includes("after"));
    await r.stop();
    expect(r.lines).toEqual(["first line that is long", "second", "after"]);
    expect(r.follower.stats.truncated).toBe(1);
    expect(r.restarts[0]).toMatch(/shrank from 31 to 0 bytes/);
  });

  it("resumes after a restart where it stopped: no line twice, none lost", async () => {
    const f = path.join(dir, "debug.log");
    append(f, "1\n2\n");
    const r1 = follow(f);
    await waitFor(() => r1.lines.length === 2);
    append(f, "3\npartial");
    await waitFor(() => r1.lines.length === 3);
    await r1.stop();
    const saved = JSON.parse(fs.readFileSync(path.join(dir, "state.json"), "utf8"));
    expect(saved).toMatchObject({ path: f, offset: 6, ino: fs.statSync(f).ino });
    append(f, " line\n4\n"); // written while peerwatch was down
    const r2 = follow(f, { startAt: "end" });
    await waitFor(() => r2.lines.length === 2);
    await r2.stop();
    expect(r2.lines).toEqual(["partial line", "4"]);
  });

  it("reads a replaced file from its start after a restart, and says so", async () => {
    const f = path.join(dir, "debug.log");
    append(f, "old\n");
    const r1 = follow(f);
    await waitFor(() => r1.lines.length === 1);
    await r1.stop();
    fs.renameSync(f, `${f}.1`);
    append(f, "new\n");
    const r2 = follow(f, { startAt: "end" });
    await waitFor(() => r2.lines.length === 1);
    await r2.stop();
    expect(r2.lines).toEqual(["new"]);
    expect(r2.restarts[0]).toMatch(/was replaced while peerwatch was stopped/);
  });

  it("survives garbage: binary bytes, a 5 MB line without newline, holding at most the line limit", async () => {
    const f = path.join(dir, "debug.log");
    const garbage = Buffer.concat([Buffer.from([0, 1, 2, 0xff, 0xfe, 0x0a]), Buffer.alloc(5 * 1024 * 1024, 0x41), Buffer.from("\nafter the huge line\n")]);
    fs.writeFileSync(f, garbage);
    const r = follow(f);
    await waitFor(() => r.lines.includes("after the huge line"), 20_000);
    await r.stop();
    expect(r.truncated).toHaveLength(1);
    expect(r.truncated[0]).toBe("A".repeat(1024));
    expect(r.lines).toHaveLength(2);
  });

  it("paces reading at the line rate limit instead of dropping lines", async () => {
    const f = path.join(dir, "debug.log");
    append(f, Array.from({ length: 250 }, (_, i) => `l${i}\n`).join(""));
    const r = follow(f, { maxLinesPerSecond: 100 });
    await waitFor(() => r.lines.length === 250, 10_000);
    await r.stop();
    expect(r.follower.stats.throttled).toBe(2);
    expect(r.lines.at(-1)).toBe("l249");
  });

  it("reads a named pipe, across writers coming and going, and stops while nobody writes", async () => {
    const p = path.join(dir, "debug.fifo");
    execFileSync("mkfifo", [p]);
    const r = follow(p);
    await waitFor(() => r.status.some((s) => s.includes("named pipe")));
    const w1 = fs.openSync(p, "w");
    fs.writeSync(w1, "from writer 1\n");
    fs.closeSync(w1);
    await waitFor(() => r.lines.length === 1);
    const w2 = fs.openSync(p, "w");
    fs.writeSync(w2, "from writer 2\n");
    await waitFor(() => r.lines.length === 2);
    fs.closeSync(w2);
    await r.stop();
    expect(r.lines).toEqual(["from writer 1", "from writer 2"]);
    expect(fs.existsSync(path.join(dir, "state.json"))).toBe(false);
  });

  it("waits for a log that is not there yet", async () => {
    const f = path.join(dir, "later.log");
    const r = follow(f);
    await waitFor(() => r.status.some((s) => s.startsWith("down: waiting for")));
    append(f, "hello\n");
    await waitFor(() => r.lines.length === 1);
    await r.stop();
  });
});
