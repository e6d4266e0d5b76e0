// Record and replay: a recording made through the real tools, replayed at max speed into fresh
// tools, gives the same event-derived counters (alerts included); gzip, rotation, bad input, loop.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { MemoryBus } from "../../../src/bus/index.js";
import { createBus, startTools } from "../../../src/cli/start-tools.js";
import { encodeEvent, makeEvent, type PeerwatchEvent } from "../../../src/events/index.js";
import { loadThresholds } from "../../../src/tools/alerts/thresholds.js";
import { loadIpLists } from "../../../src/iplists/load-lists.js";
import { openRecording } from "../../../src/tools/record/line-reader.js";
import { RecordingPlayer, type BadLine, type ReplaySpeed } from "../../../src/tools/record/player.js";
import { T0, captureEvents, eventCounters, quietLog, recordLive } from "../../helpers/recording.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-replay-"));

async function replayInto(files: string[], speed: ReplaySpeed = "max", extra: { loop?: boolean; signal?: AbortSignal } = {}) {
  const bus = new MemoryBus({ nodeName: "replayer" });
  const tools = await startTools(bus, { metrics: "off", nodeName: "replayer", web: "off" }, loadThresholds(undefined), loadIpLists(), quietLog);
  if (!tools) throw new Error("tools did not start");
  const seen: PeerwatchEvent[] = [];
  bus.subscribe({ name: "probe", maxQueue: 1_000_000 }, (e) => void seen.push(e));
  const bad: BadLine[] = [];
  const player = new RecordingPlayer(bus, { files, speed, nodeName: "replayer", onBadLine: (b) => bad.push(b), ...extra });
  const summary = await player.play();
  await bus.drained();
  const metrics = await tools.metrics.registry.metrics();
  await bus.close();
  await tools.close();
  return { summary, bad, seen, metrics };
}

function readLines(file: string): string[] {
  const buf = fs.readFileSync(file);
  const text = buf[0] === 0x1f && buf[1] === 0x8b ? zlib.gunzipSync(buf).toString() : buf.toString();
  return text.split("\n").filter(Boolean);
}

describe("replay at max speed", () => {
  it("gives exactly the live run's event-derived counters, alerts included, and keeps source, node and ts", async () => {
    const events = captureEvents();
    const file = path.join(dir, "live.ndjson");
    const live = await recordLive(events, file);
    const recorded = readLines(file);
    // The live run raised alerts (the ping flood), and they are in the recording.
    expect(recorded.some((l) => l.includes('"type":"alert"'))).toBe(true);
    const r = await replayInto([file]);
    expect(r.bad).toEqual([]);
    expect(r.summary.events).toBe(events.length);
    const liveCounters = eventCounters(live);
    expect(liveCounters.get('peerwatch_alerts_total{name="ping-spam",severity="warning"}')).toBeGreaterThan(0);
    expect([...liveCounters.keys()].filter((k) => k.startsWith("peerwatch_p2p_")).length).toBeGreaterThan(3);
    expect(eventCounters(r.metrics)).toEqual(liveCounters);
    // Replayed events are the recorded ones, untouched; the replay says what it is under its own source.
    const replayed = r.seen.filter((e) => e.source !== "replay" && e.type !== "alert");
    expect(replayed.map((e) => [e.source, e.node, e.ts, e.type])).toEqual(events.map((e) => [e.source, e.node, e.ts, e.type]));
    const status = r.seen.filter((e) => e.type === "source.status" && e.source === "replay");
    expect(status[0]?.data).toMatchObject({ source: "replay", state: "up" });
    expect((status[0]?.data as { detail: string } | undefined)?.detail).toMatch(
      /replaying the recording live\.ndjson at speed max; these events are not from a live node/,
    );
  });

  it("never drops at max speed when a tool publishes (an alert) while the player has filled another tool's queue", async () => {
    // `peerwatch replay --speed max` into every tool dropped 1 of 1M events: the player filled the
    // NDJSON queue to its last slot, then an alert published by the alert tool found it full.
    const bus = createBus("n", quietLog, true); // the bus replay runs on
    let handled = 0;
    const slow = bus.subscribe({ name: "slow", maxQueue: 8 }, async () => {
      await new Promise((r) => setImmediate(r));
      handled++;
    });
    const deriver = bus.subscribe({ name: "deriver", prefixes: ["tip."] }, (e) => {
      if (e.type === "tip.changed" && e.data.height % 10 === 0)
        bus.publish(makeEvent("peerwatch", "n", "alert", { name: "test", severity: "info", detail: `height ${e.data.height}` }, e.ts));
    });
    const events = Array.from({ length: 2000 }, (_, i) => makeEvent("ebpf", "n", "tip.changed", { height: i, hash: "00".repeat(32) }, T0 + i));
    const file = path.join(dir, "derived.ndjson");
    fs.writeFileSync(file, events.map((e) => encodeEvent(e)).join("\n") + "\n");
    const s = await new RecordingPlayer(bus, { files: [file], speed: "max", nodeName: "n" }).play();
    await bus.drained();
    expect(s.events).toBe(2000);
    expect(slow.dropped).toBe(0);
    expect(deriver.dropped).toBe(0);
    expect(handled).toBe(2000 + 200 + 2); // every event, every derived alert, the replay's two source.status
    await bus.close();
  });

  it("never drops an event when a tool is slower than the file (backpressure)", async () => {
    const bus = new MemoryBus({ nodeName: "n" });
    let handled = 0;
    const slow = bus.subscribe({ name: "slow", maxQueue: 8 }, async () => {
      await new Promise((r) => setImmediate(r));
      handled++;
    });
    const events = Array.from({ length: 2000 }, (_, i) => makeEvent("ebpf", "n", "tip.changed", { height: i, hash: "00".repeat(32) }, T0 + i));
    const file = path.join(dir, "many.ndjson");
    fs.writeFileSync(file, events.map((e) => encodeEvent(e)).join("\n") + "\n");
    const s = await new RecordingPlayer(bus, { files: [file], speed: "max", nodeName: "n" }).play();
    await bus.drained();
    expect(s.events).toBe(2000);
    expect(slow.dropped).toBe(0);
    expect(handled).toBe(2000 + 2); // and the replay's two source.status events
    await bus.close();
  });
});

describe("recording files", () => {
  it("writes gzip when the name ends in .gz, and replays it", async () => {
    const events = captureEvents();
    const file = path.join(dir, "live.ndjson.gz");
    const live = await recordLive(events, file);
    const head = fs.readFileSync(file).subarray(0, 2);
    expect([...head]).toEqual([0x1f, 0x8b]);
    expect(readLines(file).length).toBeGreaterThan(events.length); // events plus the alerts
    const r = await replayInto([file]);
    expect(eventCounters(r.metrics)).toEqual(eventCounters(live));
  });

  it("rotates at --events-max-bytes: file.1, file.2 … newest first, at most 5 kept, no line split", async () => {
    const events = captureEvents();
    const file = path.join(dir, "rot.ndjson");
    await recordLive(events, file, 8192);
    const names = fs
      .readdirSync(dir)
      .filter((f) => f.startsWith("rot.ndjson"))
      .sort();
    expect(names).toEqual(["rot.ndjson", "rot.ndjson.1", "rot.ndjson.2", "rot.ndjson.3", "rot.ndjson.4", "rot.ndjson.5"]);
    const order = [5, 4, 3, 2, 1].map((i) => `${file}.${i}`).concat(file);
    for (const f of order.slice(0, -1)) expect(fs.statSync(f).size).toBeGreaterThanOrEqual(8192);
    // Oldest first, every line whole and time never going back: the files are one stream cut in order.
    // (alerts are stamped with the wall clock when raised, so only the recorded node's events are compared)
    const all = order
      .flatMap(readLines)
      .map((l) => JSON.parse(l) as PeerwatchEvent)
      .filter((e) => e.source !== "peerwatch");
    const ts = all.map((e) => e.ts);
    expect(ts).toEqual([...ts].sort((a, b) => a - b));
    // The newest events survive; the oldest fell off with the sixth-oldest file.
    expect(all.at(-1)?.ts).toBe(events.at(-1)?.ts);
    expect(all.length).toBeLessThan(events.length);
  });

  it("rotates gzip files by their compressed size", async () => {
    const file = path.join(dir, "rot.ndjson.gz");
    // Random hashes hardly compress: ~150 kB of gzip, over zlib's 16 kB output chunks.
    const random = Array.from({ length: 2000 }, (_, i) =>
      makeEvent("ebpf", "n", "tip.changed", { height: i, hash: crypto.randomBytes(32).toString("hex") }, T0 + i),
    );
    await recordLive(random, file, 32768);
    const names = fs.readdirSync(dir).filter((f) => f.startsWith("rot.ndjson.gz"));
    expect(names.length).toBeGreaterThan(1);
    expect(names.length).toBeLessThanOrEqual(6);
    // A rotated gzip file (named file.gz.1) is still told by its bytes, and replays.
    const r = await replayInto([`${file}.1`]);
    expect(r.bad).toEqual([]);
    expect(r.summary.events).toBeGreaterThan(0);
  });
});

describe("bad input", () => {
  it("skips and reports each bad line once with its number and reason, and plays the rest", async () => {
    const good = (h: number) => encodeEvent(makeEvent("ebpf", "n", "tip.changed", { height: h, hash: "00".repeat(32) }, T0 + h));
    const v2 = JSON.stringify({ ...JSON.parse(good(9)), v: 2 });
    const badData = JSON.stringify({ ...JSON.parse(good(9)), data: { height: -1, hash: "zz" } });
    const unknown = JSON.stringify({ ...JSON.parse(good(9)), type: "no.such" });
    const file = path.join(dir, "bad.ndjson");
    fs.writeFileSync(file, [good(1), "{not json", v2, "", good(2), badData, unknown, good(3)].join("\n")); // no final newline
    const r = await replayInto([file]);
    expect(r.summary.events).toBe(3);
    expect(r.summary.badLines).toBe(4);
    expect(r.bad.map((b) => [b.lineNo, b.file])).toEqual([
      [2, file],
      [3, file],
      [6, file],
      [7, file],
    ]);
    expect(r.bad[0]?.reason).toMatch(/not JSON/);
    expect(r.bad[1]?.reason).toMatch(/^event: at v: /);
    expect(r.bad[2]?.reason).toMatch(/tip\.changed event: at data\.height/);
    expect(r.bad[3]?.reason).toMatch(/unknown event type "no\.such"/);
  });

  it("bounds the line length: a line over the limit is skipped without being held", async () => {
    const file = path.join(dir, "long.ndjson");
    const ok = encodeEvent(makeEvent("ebpf", "n", "tip.changed", { height: 1, hash: "00".repeat(32) }, T0));
    fs.writeFileSync(file, `${ok}\n${"x".repeat(5000)}\n${ok}\n`);
    const lines = [];
    for await (const l of openRecording(file, 1000).lines()) lines.push(l);
    expect(lines.map((l) => l.kind)).toEqual(["line", "too-long", "line"]);
    expect(lines[1]).toEqual({ kind: "too-long", lineNo: 2, bytes: 5000 });
  });

  it("reports a truncated gzip file and keeps what came before, without crashing", async () => {
    const events = Array.from({ length: 3000 }, (_, i) => makeEvent("ebpf", "n", "tip.changed", { height: i, hash: i.toString(16).padStart(64, "0") }, T0 + i));
    const whole = zlib.gzipSync(events.map((e) => encodeEvent(e)).join("\n") + "\n");
    const file = path.join(dir, "cut.ndjson.gz");
    fs.writeFileSync(file, whole.subarray(0, Math.floor(whole.length / 2)));
    const r = await replayInto([file]);
    expect(r.summary.truncatedFiles).toEqual([file]);
    expect(r.bad.at(-1)?.reason).toMatch(/truncated/);
    expect(r.summary.events).toBeGreaterThan(100);
    expect(r.summary.events).toBeLessThan(3000);
  });
});

describe("speed and loop", () => {
  it("speed 10 keeps a tenth of the recorded gaps", async () => {
    const file = path.join(dir, "timed.ndjson");
    const span = 2_000_000; // 2 s recorded
    fs.writeFileSync(
      file,
      [0, span / 2, span].map((d, i) => encodeEvent(makeEvent("ebpf", "n", "tip.changed", { height: i, hash: "00".repeat(32) }, T0 + d))).join("\n") + "\n",
    );
    const bus = new MemoryBus({ nodeName: "n" });
    const at: number[] = [];
    const start = performance.now();
    bus.subscribe({ name: "clock", prefixes: ["tip."] }, () => void at.push(performance.now() - start));
    await new RecordingPlayer(bus, { files: [file], speed: 10, nodeName: "n" }).play();
    await bus.drained();
    expect(at.length).toBe(3);
    expect(at[2]!).toBeGreaterThanOrEqual(199); // 2 s / 10
    expect(at[1]!).toBeGreaterThanOrEqual(99);
    await bus.close();
  });

  it("--loop plays again with time moving forward, until stopped", async () => {
    const file = path.join(dir, "loop.ndjson");
    fs.writeFileSync(
      file,
      [0, 1000].map((d, i) => encodeEvent(makeEvent("ebpf", "n", "tip.changed", { height: i, hash: "00".repeat(32) }, T0 + d))).join("\n") + "\n",
    );
    const stop = new AbortController();
    const bus = new MemoryBus({ nodeName: "n" });
    const ts: number[] = [];
    bus.subscribe({ name: "t", prefixes: ["tip."] }, (e) => {
      ts.push(e.ts);
      if (ts.length === 6) stop.abort();
    });
    const s = await new RecordingPlayer(bus, { files: [file], speed: "max", loop: true, nodeName: "n", signal: stop.signal }).play();
    await bus.drained();
    expect(s.aborted).toBe(true);
    expect(s.passes).toBeGreaterThanOrEqual(3);
    expect(ts.slice(0, 6)).toEqual([T0, T0 + 1000, T0 + 1_001_000, T0 + 1_002_000, T0 + 2_002_000, T0 + 2_003_000]);
    await bus.close();
  });
});

describe("a file that goes away", () => {
  it("is reported with the OS reason, not thrown", async () => {
    const r = await replayInto([path.join(dir, "gone.ndjson")]);
    expect(r.summary.events).toBe(0);
    expect(r.bad).toEqual([{ file: path.join(dir, "gone.ndjson"), lineNo: 1, reason: expect.stringMatching(/read failed: ENOENT/) }]);
  });
});
