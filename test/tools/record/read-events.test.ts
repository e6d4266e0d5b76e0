// Reading recordings: bounded lines, bad lines skipped with their place, gzip by name.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { MAX_EVENT_LINE_BYTES, encodeEvent, type PeerwatchEvent } from "../../../src/events/index.js";
import { readRecording, type RecordingStats } from "../../../src/tools/record/read-events.js";
import { ev, msg } from "../../helpers/events.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pw-rec-"));

async function readAll(files: string[]) {
  const stats: RecordingStats = { lines: 0, invalid: 0, errors: [] };
  const events: PeerwatchEvent[] = [];
  for await (const e of readRecording(files, stats)) events.push(e);
  return { stats, events };
}

describe("readRecording", () => {
  it("skips a line longer than the limit without holding it, and reads on", async () => {
    const f = path.join(tmp, "long.ndjson");
    const a = ev("net.message", msg(1, "ping"), 1);
    const b = ev("net.message", msg(2, "pong"), 2);
    fs.writeFileSync(f, `${encodeEvent(a)}\n${"x".repeat(MAX_EVENT_LINE_BYTES + 1)}\n${encodeEvent(b)}\n`);
    const { stats, events } = await readAll([f]);
    expect(events).toEqual([a, b]);
    expect(stats.invalid).toBe(1);
    expect(stats.errors).toEqual([`${f}:2: line longer than ${MAX_EVENT_LINE_BYTES} bytes`]);
  });

  it("reads files in order, gunzips .gz, and tolerates a last line without newline and multi-byte text split across chunks", async () => {
    const events = Array.from({ length: 3000 }, (_, i) => ev("source.status", { source: "ipc", state: "up", detail: `ü€ ${i}` }, i, "ipc"));
    const plain = path.join(tmp, "p.ndjson");
    const gz = path.join(tmp, "g.ndjson.gz");
    fs.writeFileSync(plain, events.slice(0, 1500).map(encodeEvent).join("\n"));
    fs.writeFileSync(gz, gzipSync(events.slice(1500).map(encodeEvent).join("\n")));
    const got = await readAll([plain, gz]);
    expect(got.stats.invalid).toBe(0);
    expect(got.events).toEqual(events);
  });

  it("reads a file by its bytes, not its name: a .gz that is not gzip is a bad line, not a crash", async () => {
    const bad = path.join(tmp, "bad.ndjson.gz");
    fs.writeFileSync(bad, "not gzip at all");
    const { stats, events } = await readAll([bad]);
    expect(events).toEqual([]);
    expect(stats.invalid).toBe(1);
    expect(stats.errors[0]).toMatch(/bad\.ndjson\.gz:1: /);
  });

  it("reports a truncated gzip file with its place and keeps what came before", async () => {
    const events = Array.from({ length: 2000 }, (_, i) => ev("net.message", msg(i % 7, "ping"), i));
    const whole = gzipSync(events.map(encodeEvent).join("\n") + "\n");
    const cut = path.join(tmp, "cut.ndjson.gz");
    fs.writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.6)));
    const { stats, events: got } = await readAll([cut]);
    expect(got.length).toBeGreaterThan(0);
    expect(got).toEqual(events.slice(0, got.length));
    expect(stats.invalid).toBe(1);
    expect(stats.errors[0]).toMatch(/truncated/);
  });
});
