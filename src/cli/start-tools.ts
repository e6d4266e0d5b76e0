// The tools both `observe` and `replay` feed from the bus: the operator's log lines, the NDJSON
// recording, alerts, adaptive baselines, metrics and the live page. One place, so the two commands
// cannot drift. Each tool is started by its own `run(options, { bus, signal, log })`
// (src/tools/<name>/run.ts); one signal stops them all.
import { MemoryBus } from "../bus/index.js";
import type { OpenTarget } from "../bus/event-sink.js";
import type { ToolContext } from "../bus/tool.js";
import type { HostPort } from "../config/values.js";
import type { Logger } from "../logger.js";
import { run as runAlerts } from "../tools/alerts/run.js";
import { loadThresholds, type Thresholds } from "../tools/alerts/thresholds.js";
import { run as runBaselines } from "../tools/baselines/run.js";
import { loadIpLists, type LoadedLists } from "../iplists/load-lists.js";
import { run as runMetrics, type RunningMetrics } from "../tools/metrics/run.js";
import { run as runNdjson, type RunningNdjson } from "../tools/ndjson/run.js";
import { isBinaryName } from "../tools/record/binary-format.js";
import { run as runBinaryRecording, type RunningBinaryRecording } from "../tools/record/binary-writer.js";
import { openEventFile } from "../tools/record/event-file-stream.js";
import { run as runWeb, type RunningWeb } from "../tools/web/run.js";

export interface StartedTools {
  metrics: RunningMetrics;
  web: RunningWeb | undefined;
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

/** How the --events file is opened: gzip for .gz, rotation at --events-max-bytes (src/tools/record). */
export function recordingOpener(config: { eventsMaxBytes?: number }): OpenTarget {
  return (f) => openEventFile(f, { maxBytes: config.eventsMaxBytes });
}

/** What --events runs: the NDJSON writer or the binary one, each with what was lost and a flush. */
export type RunningRecording = RunningNdjson | RunningBinaryRecording;

/**
 * The --events writer, or undefined without --events: the binary recording for a name ending in
 * .pwb or .pwb.gz (src/tools/record/binary-writer.ts), else the NDJSON tool with the recording's
 * opener. Rejects (EventSinkError, src/bus/event-sink.ts) when the file cannot be opened.
 */
export async function runRecording(
  config: { events?: string; eventsMaxBytes?: number; nodeName: string },
  ctx: ToolContext,
): Promise<RunningRecording | undefined> {
  if (!config.events) return undefined;
  if (isBinaryName(config.events)) return runBinaryRecording({ events: config.events, eventsMaxBytes: config.eventsMaxBytes, nodeName: config.nodeName }, ctx);
  return runNdjson({ events: config.events, open: recordingOpener(config) }, ctx);
}

/** The in-process bus, with handler failures logged; `lossless` for a producer that waits for room itself (replay). */
export function createBus(nodeName: string, log: Logger, lossless = false): MemoryBus {
  return new MemoryBus({ nodeName, lossless, onHandlerError: (name, err) => log.error({ subscriber: name, err }, "a bus subscriber failed on an event") });
}

/** Reads the tools' settings files first: a bad thresholds file stops the command (exit 2) before anything starts. */
export function loadToolFiles(config: { alerts?: string; ipLists?: string }, log: Logger): { thresholds: Thresholds; lists: LoadedLists } | undefined {
  let thresholds: Thresholds;
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
export async function startTools(
  bus: MemoryBus,
  config: ToolsConfig,
  thresholds: Thresholds,
  lists: LoadedLists,
  log: Logger,
): Promise<StartedTools | undefined> {
  // What an operator should see in the log, whatever else is configured.
  // While a replay runs, every line says so: "ipc up" from a recording is not this machine's node.
  let replaying = false;
  bus.subscribe({ name: "log", prefixes: ["source.status", "events.dropped", "alert"] }, (e) => {
    if (e.type === "source.status" && e.data.source === "replay") replaying = e.data.state === "up";
    const tag = replaying && e.source !== "replay" ? "[replay] " : "";
    if (tag && config.quietReplay) {
      log.debug(
        { type: e.type },
        `${tag}${e.type === "alert" ? `alert ${e.data.name}` : e.type === "source.status" ? `${e.data.source} ${e.data.state}` : "events dropped"}`,
      );
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
  const stop = new AbortController();
  const ctx: ToolContext = { bus, signal: stop.signal, log };
  const running: Promise<void>[] = [];
  /** Stops what started so far, for a tool that could not start. */
  const stopStarted = async (): Promise<undefined> => {
    stop.abort();
    await Promise.all(running);
    return undefined;
  };
  let recording: RunningRecording | undefined;
  try {
    recording = await runRecording(config, ctx);
  } catch (e) {
    log.error((e as Error).message); // an events file that cannot be opened: say so, start nothing
    return undefined;
  }
  if (recording) running.push(recording.stopped);
  running.push((await runAlerts({ nodeName: config.nodeName, thresholds, lists }, ctx)).stopped);
  running.push((await runBaselines({ nodeName: config.nodeName, baselineState: config.baselineState }, ctx)).stopped);
  let metrics: RunningMetrics;
  try {
    metrics = await runMetrics({ metrics: config.metrics, lists }, ctx);
  } catch (e) {
    log.error(
      `cannot serve metrics on ${config.metrics === "off" ? "" : `${config.metrics.host}:${config.metrics.port}`}: ${(e as Error).message} (use --metrics ` +
        `host:port or --metrics off)`,
    );
    return stopStarted();
  }
  running.push(metrics.stopped);
  if (metrics.server) log.info(`metrics at http://${metrics.server.address.host}:${metrics.server.address.port}/metrics`);
  let web: RunningWeb | undefined;
  if (config.web !== "off") {
    try {
      web = await runWeb({ web: config.web, lists, registry: metrics.registry }, ctx);
    } catch (e) {
      log.error(`cannot serve the live page on ${config.web.host}:${config.web.port}: ${(e as Error).message} (use --web host:port or --web off)`);
      return stopStarted();
    }
    running.push(web.stopped);
    log.info(`live page at ${web.url}`);
  }
  return {
    metrics,
    web,
    flushed: () => recording?.flushed() ?? Promise.resolve(),
    async close() {
      stop.abort();
      await Promise.all(running);
    },
  };
}
