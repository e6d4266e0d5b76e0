// `peerwatch observe`: find the sources, start them, feed the bus into the tools, stop cleanly.
import { MemoryBus } from "../bus/index.js";
import { ConfigError } from "../config/load.js";
import { emitterFor, type PeerwatchEvent } from "../events/index.js";
import { createLogger, type Logger } from "../logger.js";
import { aborted } from "../sources/abort.js";
import type { SourcePlan } from "../sources/types.js";
import { AlertEngine, defaultHeuristics } from "../tools/alerts/alert-engine.js";
import { loadThresholds } from "../tools/alerts/thresholds.js";
import { loadIpLists } from "../tools/iplists/load-lists.js";
import { startMetricsTool } from "../tools/metrics/index.js";
import { startNdjsonWriter } from "../tools/ndjson/ndjson-writer.js";
import type { CommandSpec } from "./command.js";
import { OBSERVE_OPTIONS, loadObserveConfig, type ObserveConfig } from "./observe-options.js";
import { explainMissingIpc } from "./ipc-explainer.js";
import { SOURCES } from "./sources.js";
import { VERSION } from "./version.js";

/** Which sources to start (auto: every one whose check passes), and why the others are not up. */
export function discoverSources(config: ObserveConfig): { descriptor: (typeof SOURCES)[number]; plan: SourcePlan }[] {
  const wanted = config.sources === "auto" ? SOURCES : SOURCES.filter((s) => config.sources.includes(s.name));
  return wanted.map((descriptor) => {
    const r = descriptor.check(config as never);
    const plan: SourcePlan = r.ok ? { name: descriptor.name, start: true, detail: r.detail } : { name: descriptor.name, start: false, reason: r.reason };
    return { descriptor, plan };
  });
}

/** How long sources get to stop after shutdown begins. */
const STOP_TIMEOUT_MS = 5000;

export async function observe(config: ObserveConfig, log: Logger, signal?: AbortSignal): Promise<number> {
  // Settings files first: a bad one stops peerwatch before anything starts.
  let thresholds;
  try {
    thresholds = loadThresholds(config.alerts);
  } catch (e) {
    log.error((e as Error).message);
    return 2;
  }
  const lists = loadIpLists(config.ipLists);
  for (const err of lists.errors) log.warn(`IP lists: ${err}`);
  log.debug({ lists: lists.names, ranges: lists.tree.size }, "IP lists loaded");

  const bus = new MemoryBus({
    nodeName: config.nodeName,
    onHandlerError: (name, err) => log.error({ subscriber: name, err }, "a bus subscriber failed on an event"),
  });
  const publish = (e: PeerwatchEvent) => bus.publish(e);

  // What an operator should see in the log, whatever else is configured.
  bus.subscribe({ name: "log", prefixes: ["source.status", "events.dropped", "alert"] }, (e) => {
    if (e.type === "source.status") {
      const level = e.data.state === "up" ? "info" : "warn";
      log[level]({ source: e.data.source, state: e.data.state, capabilities: e.data.capabilities }, `${e.data.source} ${e.data.state}: ${e.data.detail}`);
    } else if (e.type === "events.dropped") {
      log.warn({ source: e.data.source, count: e.data.count }, `${e.data.count} events dropped by ${e.data.source}: ${e.data.reason}`);
    } else if (e.type === "alert") {
      log.warn({ alert: e.data.name, severity: e.data.severity, peerId: e.data.peerId }, `alert ${e.data.name}: ${e.data.detail}`);
    }
  });
  explainMissingIpc(bus, emitterFor("ipc", config.nodeName, publish));
  let writer;
  try {
    writer = config.events ? startNdjsonWriter(bus, config.events, log) : undefined;
  } catch (e) {
    log.error((e as Error).message);
    await bus.close();
    return 2;
  }
  new AlertEngine(defaultHeuristics(thresholds, lists.tree), thresholds).attach(bus, config.nodeName);
  let metrics;
  try {
    metrics = await startMetricsTool(bus, config.metrics, lists);
  } catch (e) {
    log.error(`cannot serve metrics on ${config.metrics === "off" ? "" : `${config.metrics.host}:${config.metrics.port}`}: ${(e as Error).message} (use --metrics host:port or --metrics off)`);
    await writer?.close();
    await bus.close();
    return 1;
  }
  if (metrics.server) log.info(`metrics at http://${metrics.server.address.host}:${metrics.server.address.port}/metrics`);

  const stop = new AbortController();
  const onSignal = (sig: string) => {
    log.info(`${sig}: stopping`);
    stop.abort();
  };
  const sigint = () => onSignal("SIGINT");
  const sigterm = () => onSignal("SIGTERM");
  process.once("SIGINT", sigint);
  process.once("SIGTERM", sigterm);
  signal?.addEventListener("abort", () => stop.abort(), { once: true });
  const durationTimer = config.duration ? setTimeout(() => stop.abort(), config.duration * 1000) : undefined;

  const runs: Promise<void>[] = [];
  for (const { descriptor, plan } of discoverSources(config)) {
    const emit = emitterFor(descriptor.name, config.nodeName, publish);
    if (!plan.start) {
      emit("source.status", { source: descriptor.name, state: "down", detail: plan.reason });
      continue;
    }
    const slog = log.child({ source: plan.name });
    runs.push(
      descriptor
        .create()
        .then((source) => source.run({ config: config as never, emit, log: slog, signal: stop.signal, instruments: metrics.instruments }))
        .catch((err: unknown) => {
          slog.error({ err }, `${plan.name} source failed`);
          emit("source.status", { source: descriptor.name, state: "down", detail: `failed: ${(err as Error).message ?? String(err)}` });
        }),
    );
  }

  await aborted(stop.signal);
  clearTimeout(durationTimer);
  process.off("SIGINT", sigint);
  process.off("SIGTERM", sigterm);
  let stopTimer: NodeJS.Timeout | undefined;
  const stopped = await Promise.race([
    Promise.all(runs).then(() => true),
    new Promise<boolean>((r) => (stopTimer = setTimeout(() => r(false), STOP_TIMEOUT_MS))),
  ]);
  clearTimeout(stopTimer);
  if (!stopped) log.warn(`some sources did not stop within ${STOP_TIMEOUT_MS} ms`);
  await bus.close();
  await writer?.close();
  await metrics.close();
  return 0;
}

export const observeCommand: CommandSpec = {
  name: "observe",
  description: "Read the node through every available source (IPC, eBPF, RPC, P2P, /proc, debug.log) and serve events, metrics and alerts.",
  table: OBSERVE_OPTIONS,
  helpAfter: "\nEvery flag can also be set by its PEERWATCH_* environment variable or in the --config file.\nSee README.md and docs/ for what each source needs from the node.",
  async run(opts) {
    let config;
    try {
      config = loadObserveConfig(opts);
    } catch (e) {
      if (e instanceof ConfigError) {
        process.stderr.write(`peerwatch observe: ${e.message}\n`);
        return 2;
      }
      throw e;
    }
    const log = createLogger({ level: config.logLevel, format: config.logFormat });
    log.info({ chain: config.chain, node: config.nodeName, sources: config.sources }, `peerwatch ${VERSION} observing`);
    return observe(config, log);
  },
};
