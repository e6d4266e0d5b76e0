// Replay at max speed: a 50,000-event gzip recording through the reader, decoder, player (waiting
// for room in the queues) and bus into the metrics tool, vs decoding the same lines in memory and
// calling the metrics handler directly.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { compare, dist, fmt, report, results } from "../lib.js";

export async function run() {
  const { MemoryBus } = await dist("bus/index.js");
  const { makeEvent, decodeEventLine, encodeEvent } = await dist("events/index.js");
  const { createMetricsRegistry } = await dist("tools/metrics/index.js");
  const { loadIpLists } = await dist("iplists/load-lists.js");
  const { RecordingPlayer } = await dist("tools/record/player.js");
  const types = ["inv", "tx", "ping", "pong", "addrv2", "getdata", "headers"];
  const events = Array.from({ length: 50_000 }, (_, i) =>
    makeEvent(
      "ebpf",
      "b",
      "net.message",
      {
        peerId: i % 50,
        addr: `10.0.0.${i % 50}:8333`,
        connType: "inbound",
        direction: i % 3 ? "in" : "out",
        msgType: types[i % types.length],
        size: 40 + (i % 200),
      },
      1_795_470_000_000_000 + i * 1000,
    ),
  );
  const lines = events.map((e) => encodeEvent(e));
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pw-bench-")), "rec.ndjson.gz");
  fs.writeFileSync(file, zlib.gzipSync(lines.join("\n") + "\n"));
  const lists = loadIpLists();
  const med = await compare(
    {
      "replay --speed max (gunzip, decode, player, bus, metrics)": async () => {
        const bus = new MemoryBus({ nodeName: "b" });
        const m = createMetricsRegistry(bus, lists);
        bus.subscribe({ name: "metrics", maxQueue: 100_000 }, m.handle);
        await new RecordingPlayer(bus, { files: [file], speed: "max", nodeName: "b" }).play();
        await bus.drained();
        await bus.close(0);
      },
      "decode in memory + metrics handler": () => {
        const bus = new MemoryBus({ nodeName: "b" });
        const m = createMetricsRegistry(bus, lists);
        for (const l of lines) m.handle(decodeEventLine(l).value);
        return bus.close(0);
      },
    },
    5,
  );
  report("Replay: 50,000 recorded events at --speed max", med, "decode in memory + metrics handler", events.length, "events");
  await runEveryTool();
}

/**
 * Issue 13's replay target: recordings of the pipeline's real traffic (1M events by default,
 * BENCH_REPLAY_EVENTS) and of a ping flood from one peer (300,000 of the capture's inbound pings)
 * through the whole replay path (gzip file, line reader, decoder, player waiting for room, bus)
 * into every tool (metrics, alerts, NDJSON to /dev/null), in CPU time, with JSON.parse of the same
 * lines measured in the same rounds. Nothing may be dropped; the flood must raise ping-spam.
 */
export async function runEveryTool({
  events = Number(process.env.BENCH_REPLAY_EVENTS ?? 1_000_000),
  floodEvents = 300_000,
  rounds = Number(process.env.BENCH_ROUNDS ?? 3),
} = {}) {
  const { captureTemplates } = await import("../traffic.js");
  const templates = captureTemplates();
  const pings = templates.filter((t) => t.msgType === "ping" && t.direction === "in");
  await replayEveryTool("recorded traffic (1000 peers)", templates, events, 1000, rounds);
  await replayEveryTool("a ping flood from one peer", pings, floodEvents, 1, rounds, "ping-spam");
}

async function replayEveryTool(what, templates, events, peers, rounds, mustRaise) {
  const { parseLine } = await dist("ebpf/line-parser.js");
  const { makeEvent, encodeEvent } = await dist("events/index.js");
  const { RecordingPlayer } = await dist("tools/record/player.js");
  const { RecordEncoder, encodeHeader } = await dist("tools/record/binary-format.js");
  const { pipeline } = await import("../pipeline-harness.js");
  const { trafficChunks, PAYLOAD_BYTES } = await import("../traffic.js");
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pw-bench-")), "traffic.ndjson.gz");
  const gz = zlib.createGzip({ level: 1 });
  const out = fs.createWriteStream(file);
  gz.pipe(out);
  // The same events as a binary recording (what `--events x.pwb.gz` writes: a record per pipe read's batch).
  const binFile = path.join(path.dirname(file), "traffic.pwb.gz");
  const binGz = zlib.createGzip({ level: 1 });
  const binOut = fs.createWriteStream(binFile);
  binGz.pipe(binOut);
  binGz.write(encodeHeader("bench"));
  const encoder = new RecordEncoder();
  const sample = [];
  let n = 0;
  for (const chunk of trafficChunks(templates, events, { peers })) {
    const lines = [];
    const batch = [];
    for (const l of chunk) {
      const r = parseLine(l, PAYLOAD_BYTES);
      if (r.kind !== "event") continue;
      // 250,000 events/s of event time, as the memory bench: windows move as they would live.
      const e = makeEvent("ebpf", "bench", r.type, r.data, 1_795_470_000_000_000 + n++ * 4);
      lines.push(encodeEvent(e));
      batch.push(e);
    }
    const records = [];
    for (let i = 0; i < batch.length; i += 65) encoder.encode(batch.slice(i, i + 65), records);
    if (!binGz.write(Buffer.concat(records))) await new Promise((r) => binGz.once("drain", r));
    if (sample.length < 100_000) sample.push(...lines.slice(0, 100_000 - sample.length));
    if (!gz.write(lines.join("\n") + "\n")) await new Promise((r) => gz.once("drain", r));
  }
  gz.end();
  binGz.end();
  await Promise.all([new Promise((r) => out.once("finish", r)), new Promise((r) => binOut.once("finish", r))]);
  const cpu = () => {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1000;
  };
  const runs = { replay: [], binary: [], parse: [] };
  const walls = { replay: [], binary: [] };
  let stats = {};
  let binStats = {};
  // NDJSON recording into every tool with NDJSON out, and the binary recording of the same events
  // into every tool with the binary recording out, interleaved round by round.
  const playOnce = async (kind) => {
    const p = await pipeline({ stage: "bus", tools: { metrics: true, alerts: true, [kind === "replay" ? "ndjson" : "binary"]: true } });
    const c0 = cpu();
    const t0 = performance.now();
    const summary = await new RecordingPlayer(p.bus, { files: [kind === "replay" ? file : binFile], speed: "max", nodeName: "bench" }).play();
    await p.bus.drained();
    runs[kind].push(cpu() - c0);
    walls[kind].push(performance.now() - t0);
    const st = p.stats(); // before close: the subscriptions end there
    await p.close();
    if (summary.events !== n || summary.badLines !== 0) throw new Error(`${kind}: replayed ${summary.events} of ${n} events, ${summary.badLines} bad lines`);
    if (mustRaise && !st.alerts[mustRaise]) throw new Error(`${what}: no ${mustRaise} alert`);
    if (Object.values(st.dropped).some((d) => d > 0)) throw new Error(`${kind}: dropped ${JSON.stringify(st.dropped)}`);
    return st;
  };
  for (let r = 0; r < rounds; r++) {
    stats = await playOnce("replay");
    binStats = await playOnce("binary");
    const c1 = cpu();
    for (let i = 0; i < n; i++) JSON.parse(sample[i % sample.length]);
    runs.parse.push(cpu() - c1);
  }
  const sorted = (xs) => [...xs].sort((a, b) => a - b);
  const replayMs = sorted(runs.replay)[rounds >> 1];
  const binMs = sorted(runs.binary)[rounds >> 1];
  const binWall = sorted(walls.binary)[rounds >> 1];
  const ndWall = sorted(walls.replay)[rounds >> 1];
  const parseMs = sorted(runs.parse)[rounds >> 1];
  const rate = (n / replayMs) * 1000;
  console.log(
    `\nReplay --speed max of ${fmt(n)} events, ${what} (gzip, ${fmt(fs.statSync(file).size)} bytes), into every tool (metrics, alerts, NDJSON), ${rounds} ` +
      `rounds, median CPU; load average ${os.loadavg()[0].toFixed(1)}`,
  );
  console.log(
    `  replay, every tool                 ${fmt(replayMs)} ms CPU  ${((replayMs * 1000) / n).toFixed(2)} µs/event  ${fmt(rate)} events/CPU-s  ` +
      `×${(replayMs / parseMs).toFixed(2)} of JSON.parse of the same lines`,
  );
  console.log(
    `  binary recording (${fmt(fs.statSync(binFile).size)} bytes), every tool, binary out  ${fmt(binMs)} ms CPU  ${((binMs * 1000) / n).toFixed(2)} ` +
      `µs/event  ` +
      `${fmt((n / binMs) * 1000)} events/CPU-s  ×${(binMs / parseMs).toFixed(2)} of JSON.parse; ×${(binMs / replayMs).toFixed(2)} of the NDJSON replay's CPU`,
  );
  console.log(
    `  wall clock: NDJSON ${fmt((n / ndWall) * 1000)} events/s, binary ${fmt((n / binWall) * 1000)} events/s ` +
      `(×${(ndWall / binWall).toFixed(2)}); issue 21's target 400,000 events/s: ` +
      `${(n / binWall) * 1000 >= 400_000 ? "met" : `missed by ${((1 - ((n / binWall) * 1000) / 400_000) * 100).toFixed(0)} %`}; ` +
      `binary dropped ` +
      `${JSON.stringify(binStats.dropped)}`,
  );
  console.log(`  JSON.parse of the same lines       ${fmt(parseMs)} ms CPU  ${((parseMs * 1000) / n).toFixed(2)} µs/event`);
  console.log(
    `  dropped ${JSON.stringify(stats.dropped)}; alerts ${JSON.stringify(stats.alerts)}; target 200,000 events/s: ` +
      `${rate >= 200_000 ? "met" : `missed by ${((1 - rate / 200_000) * 100).toFixed(0)} %`}`,
  );
  results.push({
    title: `replay, every tool: ${what}`,
    events: n,
    cpuMs: replayMs,
    jsonParseCpuMs: parseMs,
    binaryCpuMs: binMs,
    binaryWallMs: binWall,
    ndjsonWallMs: ndWall,
    eventsPerCpuSecond: rate,
    dropped: stats.dropped,
    alerts: stats.alerts,
    loadAverage: os.loadavg()[0],
  });
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
}
