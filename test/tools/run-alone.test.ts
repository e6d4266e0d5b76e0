// Each tool alone: started by its own `run(options, { bus, signal, log })` on an in-process bus,
// fed the regtest capture, stopped by aborting the signal. It must stop cleanly: its subscriptions
// gone from the bus, nothing left listening on the signal, its HTTP server closed, its file written.
import fs from "node:fs";
import { getEventListeners } from "node:events";
import os from "node:os";
import path from "node:path";
import { Registry } from "prom-client";
import { afterAll, describe, expect, it } from "vitest";
import { MemoryBus } from "../../src/bus/index.js";
import type { RunningTool, ToolContext } from "../../src/bus/tool.js";
import type { PeerwatchEvent } from "../../src/events/index.js";
import { loadIpLists } from "../../src/iplists/load-lists.js";
import { run as runAlerts } from "../../src/tools/alerts/run.js";
import { run as runBaselines } from "../../src/tools/baselines/run.js";
import { run as runCompare } from "../../src/tools/compare/run.js";
import { run as runFleet } from "../../src/tools/fleet/run.js";
import { run as runMetrics } from "../../src/tools/metrics/run.js";
import { run as runNdjson } from "../../src/tools/ndjson/run.js";
import { openEventFile } from "../../src/tools/record/event-file-stream.js";
import { run as runPlayer } from "../../src/tools/record/run.js";
import { run as runWeb } from "../../src/tools/web/run.js";
import { captureEvents, quietLog } from "../helpers/recording.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-run-alone-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const lists = loadIpLists();
const local = { host: "127.0.0.1", port: 0 };

/** Resolves true when something answers at the URL, false when the connection is refused. */
async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    await res.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

/** Listening servers of this process (sockets and file requests come and go with the fetches and the test runner). */
const servers = (): number => process.getActiveResourcesInfo().filter((r) => r === "TCPServerWrap").length;

interface Case<T extends RunningTool> {
  name: string;
  /** The bus subscribers the tool adds. */
  subscribers: string[];
  /** The HTTP servers it listens with. */
  servers?: number;
  start(ctx: ToolContext): Promise<T>;
  /** While it runs, after the capture went through it. */
  running?(tool: T, seen: PeerwatchEvent[]): Promise<void> | void;
  /** After it stopped. */
  stopped?(tool: T): Promise<void> | void;
}

const tool = <T extends RunningTool>(c: Case<T>): Case<RunningTool> => c as unknown as Case<RunningTool>;

const CASES: Case<RunningTool>[] = [
  tool({
    name: "metrics",
    subscribers: ["metrics"],
    servers: 1,
    start: (ctx) => runMetrics({ metrics: local, lists }, ctx),
    async running(t) {
      const url = `http://127.0.0.1:${t.server!.address.port}/metrics`;
      const text = await (await fetch(url)).text();
      expect(text).toMatch(/^peerwatch_p2p_messages_total\{/m);
    },
    async stopped(t) {
      expect(await answers(`http://127.0.0.1:${t.server!.address.port}/metrics`)).toBe(false);
    },
  }),
  tool({
    name: "web",
    subscribers: ["web"],
    servers: 1,
    start: (ctx) => runWeb({ web: local, lists, pushIntervalMs: 50 }, ctx),
    async running(t) {
      const state = (await (await fetch(`${t.url}state.json`)).json()) as object;
      expect(Object.keys(state).length).toBeGreaterThan(0);
    },
    async stopped(t) {
      expect(await answers(`${t.url}state.json`)).toBe(false);
    },
  }),
  tool({
    name: "ndjson (a recording, gzip)",
    subscribers: ["ndjson"],
    start: (ctx) => runNdjson({ events: path.join(dir, "events.ndjson.gz"), open: (f) => openEventFile(f) }, ctx),
    async stopped() {
      const { gunzipSync } = await import("node:zlib");
      const lines = gunzipSync(fs.readFileSync(path.join(dir, "events.ndjson.gz")))
        .toString("utf8")
        .trim()
        .split("\n");
      expect(lines.length).toBeGreaterThanOrEqual(captureEvents().length); // every event, and what the others published
    },
  }),
  tool({
    name: "alerts",
    subscribers: ["alerts"],
    start: (ctx) => runAlerts({ nodeName: "regtest", lists }, ctx),
    running(_t, seen) {
      expect(seen.filter((e) => e.type === "alert").map((e) => e.type === "alert" && e.data.name)).toContain("ping-spam");
    },
  }),
  tool({
    name: "baselines",
    subscribers: ["baselines"],
    start: (ctx) => runBaselines({ nodeName: "regtest", baselineState: path.join(dir, "baseline.json") }, ctx),
    stopped() {
      expect(fs.existsSync(path.join(dir, "baseline.json"))).toBe(true); // the learnt normal is saved on stop
    },
  }),
  tool({
    name: "fleet",
    subscribers: ["fleet"],
    start: (ctx) => runFleet({ nodeName: "tools", registry: new Registry() }, ctx),
    running(t) {
      expect(t.watch.rtt.medians().size).toBeGreaterThan(0);
    },
  }),
  tool({
    name: "compare",
    subscribers: ["compare"],
    start: (ctx) => runCompare({}, ctx),
    running(t, seen) {
      const report = t.report();
      expect(report.input.events).toBe(seen.length);
      expect(Object.keys(report.sources).sort()).toEqual([...new Set(seen.map((e) => e.source))].sort());
    },
  }),
];

describe("each tool runs alone with its options and stops on its signal", () => {
  it.each(CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const before = servers();
    const bus = new MemoryBus({ nodeName: "regtest" });
    const seen: PeerwatchEvent[] = [];
    bus.subscribe({ name: "watcher" }, (e) => void seen.push(e));
    const stop = new AbortController();
    const t = await c.start({ bus, signal: stop.signal, log: quietLog });
    expect(bus.stats().subscribers.map((s) => s.name)).toEqual(["watcher", ...c.subscribers]);
    expect(getEventListeners(stop.signal, "abort")).toHaveLength(1);
    expect(servers()).toBe(before + (c.servers ?? 0));

    const events = captureEvents();
    for (let i = 0; i < events.length; i += 64) bus.publishBatch(events.slice(i, i + 64));
    await bus.drained();
    await c.running?.(t, seen);

    stop.abort();
    await t.stopped;
    expect(bus.stats().subscribers.map((s) => s.name)).toEqual(["watcher"]);
    expect(getEventListeners(stop.signal, "abort")).toHaveLength(0);
    await c.stopped?.(t);
    await bus.close();
    expect(servers()).toBe(before);
  });

  it("the recording player (a producer) plays alone until its signal aborts, and leaves nothing on the signal", async () => {
    const file = path.join(dir, "loop.ndjson");
    fs.writeFileSync(
      file,
      captureEvents()
        .map((e) => JSON.stringify(e))
        .join("\n") + "\n",
    );
    const bus = new MemoryBus({ nodeName: "regtest" });
    let seen = 0;
    bus.subscribe({ name: "watcher" }, () => void seen++);
    const stop = new AbortController();
    const played = runPlayer({ files: [file], speed: "max", loop: true, nodeName: "regtest", progress: false }, { bus, signal: stop.signal, log: quietLog });
    while (seen < 3 * captureEvents().length) await new Promise((r) => setTimeout(r, 10));
    stop.abort();
    const summary = await played;
    expect(summary.aborted).toBe(true);
    expect(summary.passes).toBeGreaterThanOrEqual(3);
    expect(getEventListeners(stop.signal, "abort")).toHaveLength(0);
    await bus.close();
  });

  it("a tool given a signal that has already aborted starts and stops at once", async () => {
    const bus = new MemoryBus({ nodeName: "regtest" });
    const signal = AbortSignal.abort();
    const t = await runMetrics({ metrics: local, lists }, { bus, signal, log: quietLog });
    await t.stopped;
    expect(bus.stats().subscribers).toEqual([]);
    expect(await answers(`http://127.0.0.1:${t.server!.address.port}/metrics`)).toBe(false);
    await bus.close();
  });

  it("a tool that cannot start rejects and leaves nothing behind", async () => {
    const bus = new MemoryBus({ nodeName: "regtest" });
    const stop = new AbortController();
    const ctx = { bus, signal: stop.signal, log: quietLog };
    const first = await runMetrics({ metrics: local, lists }, ctx);
    const taken = { host: "127.0.0.1", port: first.server!.address.port };
    await expect(runWeb({ web: taken, lists }, ctx)).rejects.toThrow(/EADDRINUSE/);
    await expect(runNdjson({ events: dir }, ctx)).rejects.toThrow(/cannot write events/);
    expect(getEventListeners(stop.signal, "abort")).toHaveLength(1); // the metrics tool's only
    stop.abort();
    await first.stopped;
    expect(bus.stats().subscribers).toEqual([]);
    await bus.close();
  });
});
