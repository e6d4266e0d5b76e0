// The pipeline as `peerwatch observe` wires it, for benchmarks: bpftrace lines → parseLine → the
// source's emitter (makeEvent) → MemoryBus → the metrics, alerts and NDJSON tools. Each tool can be
// swapped for a subscriber that does nothing with the same name, prefixes and queue, so the cost of
// each stage shows as the difference between two variants run side by side.
import { dist, drained } from "./lib.js";
import { PAYLOAD_BYTES } from "./traffic.js";

const { parseLine } = await dist("ebpf/line-parser.js");
const { MemoryBus } = await dist("bus/index.js");
const { emitterFor, emitBatch, decodeEvent } = await dist("events/index.js");
const { startMetricsTool } = await dist("tools/metrics/index.js");
const { AlertEngine, defaultHeuristics } = await dist("tools/alerts/alert-engine.js");
const { DEFAULT_THRESHOLDS } = await dist("tools/alerts/thresholds.js");
const { loadIpLists } = await dist("iplists/load-lists.js");
const { startNdjsonWriter } = await dist("tools/ndjson/ndjson-writer.js");
const { startBinaryWriter } = await dist("tools/record/binary-writer.js");
const { createLogger } = await dist("logger.js");

const lists = loadIpLists();
const log = createLogger({ level: "warn", format: "json" });
const noop = () => {};

/**
 * stages: how far each line goes: "parse" | "event" | "validate" | "bus" (tools as no-op subscribers)
 * tools: which real tools replace their no-op subscriber: { metrics, alerts, ndjson, binary } (booleans; binary: the
 *   binary recording, `--events x.pwb`, in place of NDJSON out)
 * validator: for "validate": a function(event) → boolean (zod's decodeEvent by default)
 */
export async function pipeline({ stage = "bus", tools = {}, validator, ndjsonTarget = "/dev/null" } = {}) {
  let events = 0;
  let invalid = 0;
  const validate = validator ?? ((e) => decodeEvent(e).ok);
  if (stage === "parse" || stage === "event" || stage === "validate") {
    const emit = emitterFor(
      "ebpf",
      "bench",
      stage === "validate"
        ? (e) => {
            if (!validate(e)) invalid++;
          }
        : noop,
    );
    return {
      async feed(lines, start = 0, end = lines.length) {
        for (let i = start; i < end; i++) {
          const r = parseLine(lines[i], PAYLOAD_BYTES);
          if (r.kind !== "event") continue;
          events++;
          if (stage !== "parse") emit(r.type, r.data);
        }
      },
      async close() {},
      stats: () => ({ events, invalid }),
    };
  }
  const bus = new MemoryBus({
    nodeName: "bench",
    onHandlerError: (n, err) => {
      throw new Error(`${n}: ${err}`);
    },
  });
  const subs = [];
  const closers = [];
  let m;
  if (tools.metrics) {
    m = await startMetricsTool(bus, "off", lists);
    subs.push(m.subscription);
    closers.push(() => m.close());
  } else subs.push(bus.subscribeBatches({ name: "metrics", maxQueue: 100_000 }, noop));
  const heuristics = defaultHeuristics(DEFAULT_THRESHOLDS, lists.tree);
  const engine = new AlertEngine(heuristics, DEFAULT_THRESHOLDS);
  if (tools.alerts) subs.push(engine.attach(bus, "bench"));
  else
    subs.push(
      bus.subscribeBatches(
        { name: "alerts", prefixes: [...new Set(defaultHeuristics(DEFAULT_THRESHOLDS, lists.tree).flatMap((h) => h.prefixes))], maxQueue: 100_000 },
        noop,
      ),
    );
  if (tools.ndjson) {
    const w = startNdjsonWriter(bus, ndjsonTarget, log);
    subs.push(w.subscription);
    closers.push(() => w.close());
  } else if (tools.binary) {
    const w = startBinaryWriter(bus, { events: ndjsonTarget, nodeName: "bench" }, log);
    subs.push(w.subscription);
    closers.push(() => w.close());
  } else subs.push(bus.subscribeBatches({ name: "ndjson", maxQueue: 50_000 }, noop));
  const alerts = {};
  bus.subscribe({ name: "alert-count", prefixes: ["alert"] }, (e) => {
    alerts[e.data.name] = (alerts[e.data.name] ?? 0) + 1;
  });
  // As the bpftrace runner does: the events of one pipe read go on the bus as one batch.
  const emit = emitterFor(
    "ebpf",
    "bench",
    (e) => bus.publish(e),
    (es) => bus.publishBatch(es),
  );
  const feedLines = (lines, start, end) => {
    for (let i = start; i < end; i++) {
      const r = parseLine(lines[i], PAYLOAD_BYTES);
      if (r.kind !== "event") continue;
      events++;
      emit(r.type, r.data);
    }
  };
  return {
    bus,
    async feed(lines, start = 0, end = lines.length) {
      emitBatch(emit, () => feedLines(lines, start, end));
      await drained(subs);
    },
    /** Publishes decoded events (a replay: one batch per call) and waits until every tool has taken them. */
    async feedEvents(list) {
      events += list.length;
      bus.publishBatch(list);
      await drained(subs);
    },
    async close() {
      await bus.close(10_000);
      for (const c of closers) await c();
    },
    stats: () => ({ events, dropped: Object.fromEntries(bus.stats().subscribers.map((s) => [s.name, s.dropped])), alerts }),
    /** Sizes of every bounded structure, to show they stay bounded (memory bench). */
    async sizes() {
      const h = Object.fromEntries(heuristics.map((x) => [x.name, x]));
      const series = m ? (await m.registry.getMetricsAsJSON()).reduce((a, f) => a + f.values.length, 0) : 0;
      return {
        busPending: bus.stats().subscribers.reduce((a, x) => a + x.pending, 0),
        pingSpamKeys: h["ping-spam"].pings.size,
        addrSpamKeys: h["addr-spam"].excess.size,
        addrBuckets: h["addr-spam"].buckets.size,
        alertsRemembered: engine.lastRaised.size,
        metricSeries: series,
      };
    },
  };
}

/** What one read of a pipe returns at most (Linux's default pipe buffer). */
const PIPE_READ_BYTES = 64 * 1024;

/** Feeds `chunks` (a fresh generator per call) through a pipeline; returns ms of processing only. */
export async function timeThrough(opts, chunks) {
  const p = await pipeline(opts);
  let ms = 0;
  const cpu0 = process.cpuUsage();
  let genCpu = 0;
  for (;;) {
    const g0 = process.cpuUsage();
    const next = chunks.next();
    genCpu += cpuMs(process.cpuUsage(g0));
    if (next.done) break;
    // Fed as bpftrace's stdout arrives: readline hands over the lines of one pipe read (at most
    // 64 KiB) at a time, and the tools run in the turns of the event loop between reads.
    const lines = next.value;
    const t0 = performance.now();
    for (let start = 0; start < lines.length; ) {
      let end = start;
      for (let bytes = 0; end < lines.length && bytes < PIPE_READ_BYTES; end++) bytes += lines[end].length + 1;
      await p.feed(lines, start, end);
      start = end;
    }
    ms += performance.now() - t0;
  }
  const t0 = performance.now();
  await p.close();
  ms += performance.now() - t0;
  const cpu = cpuMs(process.cpuUsage(cpu0)) - genCpu;
  return { ms, cpuMs: cpu, ...p.stats() };
}

const cpuMs = (u) => (u.user + u.system) / 1000;
