// The binary recording (`--events x.pwb`, src/tools/record/binary-format.ts): every event of the
// shipped recordings goes through it and comes back as the same NDJSON line; a replay of it gives
// the same /metrics as the NDJSON one; rotation, gzip and appending; and bad input (truncated,
// corrupt, oversized records, foreign headers, values JSON has not) is reported with its byte
// offset, counted, never thrown.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { Packr } from "msgpackr";
import { describe, expect, it } from "vitest";
import { MemoryBus } from "../../../src/bus/index.js";
import { startTools } from "../../../src/cli/start-tools.js";
import { encodeEvent, makeEvent, type PeerwatchEvent } from "../../../src/events/index.js";
import { loadIpLists } from "../../../src/iplists/load-lists.js";
import { loadThresholds } from "../../../src/tools/alerts/thresholds.js";
import { MAX_RECORD_BYTES, encodeHeader, isBinaryName } from "../../../src/tools/record/binary-format.js";
import { startNdjsonWriter } from "../../../src/tools/ndjson/ndjson-writer.js";
import { startBinaryWriter } from "../../../src/tools/record/binary-writer.js";
import { RecordingPlayer, type BadLine } from "../../../src/tools/record/player.js";
import { readRecording, type RecordingStats } from "../../../src/tools/record/read-events.js";
import { REPO_ROOT } from "../../helpers/capture.js";
import { T0, captureEvents, eventCounters, quietLog, recordLive } from "../../helpers/recording.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-pwb-"));
const SHIPPED = [
  path.join(REPO_ROOT, "data/regtest-demo.ndjson.gz"),
  ...fs
    .readdirSync(path.join(REPO_ROOT, "data/attacks"))
    .filter((f) => f.endsWith(".ndjson.gz"))
    .map((f) => path.join(REPO_ROOT, "data/attacks", f)),
];

function linesOf(file: string): string[] {
  return zlib.gunzipSync(fs.readFileSync(file)).toString("utf8").split("\n").filter(Boolean);
}

async function readAll(files: string[]) {
  const stats: RecordingStats = { lines: 0, invalid: 0, errors: [] };
  const events: PeerwatchEvent[] = [];
  for await (const e of readRecording(files, stats)) events.push(e);
  return { stats, events };
}

/** Writes events through the binary writer as a live run would: batches on a bus. */
async function writeBinary(file: string, events: readonly PeerwatchEvent[], batch = 100): Promise<void> {
  const bus = new MemoryBus({ nodeName: "w" });
  const w = startBinaryWriter(bus, { events: file, nodeName: "writer-node" }, quietLog);
  for (let i = 0; i < events.length; i += batch) {
    bus.publishBatch(events.slice(i, i + batch));
    await bus.drained();
  }
  await bus.drained();
  await w.close();
  await bus.close();
  expect(w.lost.size).toBe(0);
}

/** A record frame around a body. */
function record(body: Buffer, kind = 1): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32LE(body.length, 0);
  head[4] = kind;
  return Buffer.concat([head, body]);
}

const pack = (v: unknown) => new Packr({ useRecords: true }).pack(v);
const evA = makeEvent("ebpf", "n", "net.message", { peerId: 1, addr: "10.0.0.1:8333", connType: "inbound", direction: "in", msgType: "ping", size: 8 }, T0);
const evB = makeEvent("ebpf", "n", "tip.changed", { height: 7, hash: "ab".repeat(32) }, T0 + 1);

async function playBinary(files: string[]) {
  const bus = new MemoryBus({ nodeName: "r" });
  const seen: PeerwatchEvent[] = [];
  bus.subscribe({ name: "probe", maxQueue: 1_000_000 }, (e) => void seen.push(e));
  const bad: BadLine[] = [];
  const summary = await new RecordingPlayer(bus, { files, speed: "max", nodeName: "r", onBadLine: (b) => bad.push(b) }).play();
  await bus.drained();
  await bus.close();
  return { summary, bad, seen: seen.filter((e) => e.source !== "replay") };
}

describe("binary recording: round trip", () => {
  it("names: .pwb and .pwb.gz are binary, the rest NDJSON", () => {
    expect(["a.pwb", "a.pwb.gz", "/x/y.pwb"].map(isBinaryName)).toEqual([true, true, true]);
    expect(["a.ndjson", "a.ndjson.gz", "a.pwb.1", "a.pwb.gz.1", "pwb"].map(isBinaryName)).toEqual([false, false, false, false, false]);
  });

  it.each(SHIPPED.map((f) => [path.relative(REPO_ROOT, f), f]))("%s: every event comes back as the line it was recorded as", async (_name, file) => {
    const lines = linesOf(file);
    const { events, stats } = await readAll([file]);
    expect(stats.invalid).toBe(0);
    const out = path.join(dir, `${path.basename(file)}.pwb`);
    await writeBinary(out, events);
    expect(fs.readFileSync(out).subarray(0, 4).toString("latin1")).toBe("PWB1");
    const back = await readAll([out]);
    expect(back.stats).toEqual({ lines: events.length, invalid: 0, errors: [] });
    expect(back.events.map((e) => encodeEvent(e))).toEqual(lines);
  });

  it("covers every event type of the shipped recordings, gzip too (.pwb.gz, told by its bytes)", async () => {
    const all = (await readAll(SHIPPED)).events;
    const types = new Set(all.map((e) => e.type));
    expect(types.size).toBeGreaterThanOrEqual(20);
    const out = path.join(dir, "all.pwb.gz");
    await writeBinary(out, all, 1024);
    expect([...fs.readFileSync(out).subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    const back = await readAll([out]);
    expect(back.stats.invalid).toBe(0);
    expect(new Set(back.events.map((e) => e.type))).toEqual(types);
    expect(back.events.map((e) => encodeEvent(e))).toEqual(all.map((e) => encodeEvent(e)));
    // Smaller than the NDJSON of the same events, gzip or not.
    const ndjsonGz = zlib.gzipSync(all.map((e) => encodeEvent(e)).join("\n"));
    expect(fs.statSync(out).size).toBeLessThan(ndjsonGz.length);
  });

  it("a run appending to a file adds a header at a record boundary; both runs read back", async () => {
    const out = path.join(dir, "append.pwb");
    await writeBinary(out, [evA]);
    await writeBinary(out, [evB]);
    const bytes = fs.readFileSync(out);
    expect(bytes.indexOf("PWB1", 4, "latin1")).toBeGreaterThan(4);
    expect((await readAll([out])).events).toEqual([evA, evB]);
  });
});

describe("binary recording: replay", () => {
  it("a replay of a binary recording gives the same /metrics as the live run and as the NDJSON replay", async () => {
    const events = captureEvents();
    const pwb = path.join(dir, "live.pwb");
    const ndjson = path.join(dir, "live.ndjson");
    const live = await recordLive(events, pwb);
    await recordLive(events, ndjson);
    const replay = async (file: string) => {
      const bus = new MemoryBus({ nodeName: "replayer" });
      const tools = await startTools(bus, { metrics: "off", nodeName: "replayer", web: "off" }, loadThresholds(undefined), loadIpLists(), quietLog);
      if (!tools) throw new Error("tools did not start");
      const bad: BadLine[] = [];
      const s = await new RecordingPlayer(bus, { files: [file], speed: "max", nodeName: "replayer", onBadLine: (b) => bad.push(b) }).play();
      await bus.drained();
      const metrics = await tools.metrics.registry.metrics();
      await bus.close();
      await tools.close();
      return { s, bad, metrics };
    };
    const fromPwb = await replay(pwb);
    const fromNdjson = await replay(ndjson);
    expect(fromPwb.bad).toEqual([]);
    expect(fromPwb.s.events).toBe(events.length);
    expect(fromPwb.s.rederivedAlerts).toBeGreaterThan(0); // the live run's alerts are in the recording, raised again
    const counters = eventCounters(fromPwb.metrics);
    expect(counters.get('peerwatch_alerts_total{name="ping-spam",severity="warning"}')).toBeGreaterThan(0);
    expect(counters).toEqual(eventCounters(live));
    expect(counters).toEqual(eventCounters(fromNdjson.metrics));
  });

  it("never drops an event at max speed when a tool is slower than the file", async () => {
    const events = Array.from({ length: 3000 }, (_, i) => makeEvent("ebpf", "n", "tip.changed", { height: i, hash: "00".repeat(32) }, T0 + i));
    const file = path.join(dir, "many.pwb");
    await writeBinary(file, events, 1000);
    const bus = new MemoryBus({ nodeName: "n" });
    let handled = 0;
    const slow = bus.subscribe({ name: "slow", maxQueue: 8 }, async () => {
      await new Promise((r) => setImmediate(r));
      handled++;
    });
    const s = await new RecordingPlayer(bus, { files: [file], speed: "max", nodeName: "n" }).play();
    await bus.drained();
    expect(s.events).toBe(3000);
    expect(slow.dropped).toBe(0);
    expect(handled).toBe(3000 + 2);
    await bus.close();
  });

  it("rotates at --events-max-bytes after the record that reaches it: every file starts with a header and replays alone", async () => {
    const events = captureEvents();
    const file = path.join(dir, "rot.pwb");
    await recordLive(events, file, 4096);
    const names = fs
      .readdirSync(dir)
      .filter((f) => f.startsWith("rot.pwb"))
      .sort();
    // The binary form is small: the capture makes a few files of 4 KiB, not the 6+ of its NDJSON.
    expect(names.length).toBeGreaterThanOrEqual(3);
    expect(names).toEqual(["rot.pwb", ...names.slice(1).map((_, i) => `rot.pwb.${i + 1}`)]);
    const order = names
      .slice(1)
      .reverse()
      .map((n) => path.join(dir, n))
      .concat(file);
    for (const f of order) expect(fs.readFileSync(f).subarray(0, 4).toString("latin1")).toBe("PWB1");
    for (const f of order.slice(0, -1)) expect(fs.statSync(f).size).toBeGreaterThanOrEqual(4096);
    const r = await readAll(order);
    expect(r.stats.invalid).toBe(0);
    const ts = r.events.filter((e) => e.source !== "peerwatch").map((e) => e.ts);
    expect(ts).toEqual([...ts].sort((a, b) => a - b));
    expect(ts.at(-1)).toBe(events.at(-1)?.ts);
    expect((await playBinary([`${file}.2`])).bad).toEqual([]);
  });
});

describe("binary recording: a target it cannot open", () => {
  /** The message a writer is refused with. */
  const refusal = (start: () => unknown): string => {
    try {
      start();
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error("the writer started");
  };

  it("is refused in the NDJSON writer's words, the reason's hint included", async () => {
    const bus = new MemoryBus({ nodeName: "w" });
    const missing = path.join(dir, "no/such/dir/e.pwb");
    const cases = [
      [dir, `cannot write events to ${dir}: EISDIR (a directory)`],
      [missing, `cannot write events to ${missing}: ENOENT (no such folder)`],
    ];
    for (const [target, words] of cases) {
      const binary = refusal(() => startBinaryWriter(bus, { events: target!, nodeName: "w" }, quietLog));
      expect(binary).toBe(words);
      expect(binary).toBe(refusal(() => startNdjsonWriter(bus, target!, quietLog)));
    }
    await bus.close();
  });
});

describe("binary recording: bad input", () => {
  const header = encodeHeader("n");
  const good = record(pack([evA]));
  const write = (name: string, ...parts: Buffer[]) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, Buffer.concat(parts));
    return f;
  };

  it("a file cut inside a record keeps the events before it and says where", async () => {
    const whole = Buffer.concat([header, good, record(pack([evB]))]);
    const f = write("cut.pwb", whole.subarray(0, whole.length - 3));
    const r = await playBinary([f]);
    expect(r.seen).toEqual([evA]);
    expect(r.summary.truncatedFiles).toEqual([f]);
    expect(r.bad).toEqual([{ file: f, lineNo: 2, offset: header.length + good.length, reason: expect.stringMatching(/ends inside a record \(truncated/) }]);
  });

  it("a record that does not decode is skipped with its offset; the records after it are read", async () => {
    const broken = record(Buffer.from([0xc1, 0xc1, 0xc1])); // 0xc1 is never used in MessagePack
    const f = write("corrupt.pwb", header, good, broken, record(pack([evB])));
    const r = await playBinary([f]);
    expect(r.seen).toEqual([evA, evB]);
    expect(r.bad).toEqual([{ file: f, lineNo: 2, offset: header.length + good.length, reason: expect.stringMatching(/^record does not decode/) }]);
    const stats = (await readAll([f])).stats;
    expect(stats.invalid).toBe(1);
    expect(stats.errors[0]).toMatch(new RegExp(`^${f}:byte ${header.length + good.length} \\(record 2\\): record does not decode`));
  });

  it("an oversized length, an unknown kind or a foreign header ends the file there, with the reason, not a crash", async () => {
    const huge = Buffer.alloc(5);
    huge.writeUInt32LE(MAX_RECORD_BYTES + 1, 0);
    huge[4] = 1;
    const f1 = write("huge.pwb", header, good, huge, Buffer.alloc(100));
    const r1 = await playBinary([f1]);
    expect(r1.seen).toEqual([evA]);
    expect(r1.bad).toHaveLength(1);
    expect(r1.bad[0]?.reason).toMatch(new RegExp(`says it holds ${MAX_RECORD_BYTES + 1} bytes, more than the limit`));
    expect(r1.bad[0]?.offset).toBe(header.length + good.length);
    const f2 = write("kind.pwb", header, good, record(pack([evB]), 9));
    expect((await playBinary([f2])).bad[0]?.reason).toMatch(/unknown kind 9/);
    const v2 = Buffer.from(header);
    v2[4] = 2;
    const r3 = await playBinary([write("v2.pwb", v2, good)]);
    expect(r3.seen).toEqual([]);
    expect(r3.bad[0]?.reason).toMatch(/format version 2 is not supported/);
    const m2 = Buffer.from(header);
    m2[5] = 2;
    expect((await playBinary([write("m2.pwb", m2, good)])).bad[0]?.reason).toMatch(/event model version 2 is not supported/);
  });

  it("decoded values are checked against the model: a non-event, a bad field, a Date or bytes are counted, the rest kept", async () => {
    const notEvent = record(pack([{ hello: 1 }, evA]));
    const badField = record(pack([{ ...evB, data: { height: -1, hash: "zz" } }]));
    const date = record(pack([{ ...evA, data: { ...evA.data, decoded: new Date(0) } }]));
    const bytes = record(pack([{ ...evA, data: { ...evA.data, decoded: new Uint8Array(0) } }]));
    const notList = record(pack({ v: 1 }));
    const f = write("values.pwb", header, notEvent, badField, date, bytes, notList, record(pack([evB])));
    const r = await playBinary([f]);
    expect(r.seen).toEqual([evA, evB]);
    expect(r.bad.map((b) => [b.lineNo, b.reason.slice(0, 40)])).toEqual([
      [1, expect.stringMatching(/^event 1 of the record: event/)],
      [2, expect.stringMatching(/^event 1 of the record: tip.changed event/)],
      [3, "event 1 of the record holds a value JSON"],
      [4, "event 1 of the record holds a value JSON"],
      [5, "record does not hold a list of events"],
    ]);
  });

  it("a truncated .pwb.gz keeps what came before and reports the gzip damage", async () => {
    const events = Array.from({ length: 5000 }, (_, i) => makeEvent("ebpf", "n", "tip.changed", { height: i, hash: "00".repeat(32) }, T0 + i));
    const gz = path.join(dir, "cut.pwb.gz");
    await writeBinary(gz, events, 50);
    const bytes = fs.readFileSync(gz);
    fs.writeFileSync(gz, bytes.subarray(0, bytes.length >> 1));
    const r = await playBinary([gz]);
    expect(r.summary.truncatedFiles).toEqual([gz]);
    expect(r.seen.length).toBeGreaterThan(0);
    expect(r.seen.length).toBeLessThan(5000);
    expect(r.seen).toEqual(events.slice(0, r.seen.length));
  });

  it("a file of arbitrary bytes that starts like a header is not thrown", async () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
    for (let k = 0; k < 20; k++) {
      const junk = Buffer.from(Array.from({ length: 2000 }, rnd));
      const f = write(`junk${k}.pwb`, header, good, junk);
      const r = await playBinary([f]);
      expect(r.seen[0]).toEqual(evA);
      expect(r.summary.badLines).toBeGreaterThan(0);
    }
  });
});
