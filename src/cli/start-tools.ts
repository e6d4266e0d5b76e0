// The tools both `observe` and `replay` feed from the bus: the operator's log lines, the NDJSON
// recording, alerts, metrics and the live page. One place, so the two commands cannot drift.
import { MemoryBus, type EventBus } from "../bus/index.js";
import type { HostPort } from "../config/values.js";
import type { Logger } from "../logger.js";
import { AlertEngine, defaultHeuristics } from "../tools/alerts/alert-engine.js";
import { loadThresholds, type Thresholds } from "../tools/alerts/thresholds.js";
import { BaselineWatch, DEFAULT_BASELINE } from "../tools/baselines/baseline-watch.js";
import { loadIpLists, type LoadedLists } from "../iplists/load-lists.js";
import { startMetricsTool, type MetricsTool } from "../tools/metrics/index.js";
import { startNdjsonWriter, type NdjsonWriter } from "../tools/ndjson/ndjson-writer.js";
import { openEventFile } from "../tools/record/event-file-stream.js";
import { startWebTool, type WebTool } from "../tools/web/index.js";

export interface StartedTools {
  metrics: MetricsTool;
  web: WebTool | undefined;
  /** Resolves when every event handed to the --events writer so far is written out. */
  flushed(): Promise<void>;
  close(): Promise<void>;
}

export interface ToolsConfig {
  events?: string;
  eventsMaxBytes?: number;
  metrics: HostPort | "off";
  web: HostPort | "off";
  nodeName: string;
  baselineState?: string;
  /** The demo: what the replayed node's sources and alerts say goes to the debug log (the page shows it), so the banner stays readable. */
  quietReplay?: boolean;
}

/** The --events writer (gzip for .gz, rotation at --events-max-bytes), or undefined without --events. */
export function startRecording(bus: EventBus, config: { events?: string; eventsMaxBytes?: number }, log: Logger): NdjsonWriter | undefined {
  return config.events ? startNdjsonWriter(bus, config.events, log, (f) => openEventFile(f, { maxBytes: config.eventsMaxBytes })) : undefined;
}

/** The in-process bus, with handler failures logged; `lossless` for a producer that waits for room itself (replay). */
export function createBus(nodeName: string, log: Logger, lossless = false): MemoryBus {
  return new MemoryBus({ nodeName, lossless, onHandlerError: (name, err) => log.error({ subscriber: name, err }, "a bus subscriber failed on an event") });
}

/** Reads the tools' settings files first: a bad thresholds file stops the command (exit 2) before anything starts. */
export function loadToolFiles(config: { alerts?: string; ipLists?: string }, log: Logger): { thresholds: Thresholds; lists: LoadedLists } | undefined {
  let thresholds;
  try {
    thresholds = loadThresholds(config.alerts);
  } catch (e) {
    log.error((e as Error).message);
    return undefined;
  }
  const lists = loadIpLists(config.ipLists);
  for (const err of lists.errors) log.warn(`IP lists: ${err}`);
  log.debug({ lists: lists.names, ranges: lists.tree.size }, "IP lists loaded");
  return { thresholds, lists };
}

/** Starts the tools; on a port that cannot be bound it logs why and returns undefined. */
export async function startTools(bus: MemoryBus, config: ToolsConfig, thresholds: Thresholds, lists: LoadedLists, log: Logger): Promise<StartedTools | undefined> {
  // What an operator should see in the log, whatever else is configured.
  // While a replay runs, every line says so: "ipc up" from a recording is not this machine's node.
  let replaying = false;
  bus.subscribe({ name: "log", prefixes: ["source.status", "events.dropped", "alert"] }, (e) => {
    if (e.type === "source.status" && e.data.source === "replay") replaying = e.data.state === "up";
    const tag = replaying && e.source !== "replay" ? "[replay] " : "";
    if (tag && config.quietReplay) {
      log.debug({ type: e.type }, `${tag}${e.type === "alert" ? `alert ${e.data.name}` : e.type === "source.status" ? `${e.data.source} ${e.data.state}` : "events dropped"}`);
      return;
    }
    if (e.type === "source.status") {
      const level = e.data.state === "up" ? "info" : "warn";
      log[level]({ source: e.data.source, state: e.data.state, capabilities: e.data.capabilities }, `${tag}${e.data.source} ${e.data.state}: ${e.data.detail}`);
    } else if (e.type === "events.dropped") {
      log.warn({ source: e.data.source, count: e.data.count }, `${tag}${e.data.count} events dropped by ${e.data.source}: ${e.data.reason}`);
    } else if (e.type === "alert") {
      log.warn({ alert: e.data.name, severity: e.data.severity, peerId: e.data.peerId }, `${tag}alert ${e.data.name}: ${e.data.detail}`);
    }
  });
  let writer: NdjsonWriter | undefined;
  try {
    writer = startRecording(bus, config, log);
  } catch (e) {
    log.error((e as Error).message); // an events file that cannot be opened: say so, start nothing
    return undefined;
  }
  new AlertEngine(defaultHeuristics(thresholds, lists.tree), thresholds).attach(bus, config.nodeName);
  const baselines = new BaselineWatch({ ...DEFAULT_BASELINE, ...(config.baselineState ? { stateFile: config.baselineState } : {}) });
  const baselineSub = baselines.attach(bus, config.nodeName);
  const baselineProblems = () => {
    for (const p of baselines.problems.splice(0)) log.warn(p);
  };
  baselineProblems();
  let metrics: MetricsTool;
  try {
    metrics = await startMetricsTool(bus, config.metrics, lists);
  } catch (e) {
    log.error(`cannot serve metrics on ${config.metrics === "off" ? "" : `${config.metrics.host}:${config.metrics.port}`}: ${(e as Error).message} (use --metrics host:port or --metrics off)`);
    await writer?.close();
    return undefined;
  }
  if (metrics.server) log.info(`metrics at http://${metrics.server.address.host}:${metrics.server.address.port}/metrics`);
  let web: WebTool | undefined;
  if (config.web !== "off") {
    try {
      web = await startWebTool(bus, config.web, lists, metrics.registry);
    } catch (e) {
      log.error(`cannot serve the live page on ${config.web.host}:${config.web.port}: ${(e as Error).message} (use --web host:port or --web off)`);
      await metrics.close();
      await writer?.close();
      return undefined;
    }
    log.info(`live page at ${web.url}`);
  }
  return {
    metrics,
    web,
    flushed: () => writer?.flushed() ?? Promise.resolve(),
    async close() {
      baselineSub.unsubscribe(); // saves the learnt normal
      baselineProblems();
      await web?.close();
      await writer?.close();
      await metrics.close();
    },
  };
}
