// `peerwatch observe`: find the sources, start them, feed the bus into the tools, stop cleanly.
import { MemoryBus } from "../bus/index.js";
import type { ObserveConfig } from "../config/schema.js";
import { emitterFor, type PeerwatchEvent } from "../events/index.js";
import type { Logger } from "../logger.js";
import { aborted } from "../sources/abort.js";
import { discoverSources } from "../sources/discover.js";
import { SOURCE_FACTORIES } from "../sources/registry.js";
import type { Source } from "../sources/types.js";
import { AlertEngine, defaultHeuristics } from "../tools/alerts/alert-engine.js";
import { loadThresholds } from "../tools/alerts/thresholds.js";
import { loadIpLists } from "../tools/iplists/load-lists.js";
import { startMetricsTool } from "../tools/metrics/index.js";
import { startNdjsonWriter } from "../tools/ndjson/ndjson-writer.js";

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
  for (const plan of discoverSources(config)) {
    const emit = emitterFor(plan.name, config.nodeName, publish);
    if (!plan.start) {
      emit("source.status", { source: plan.name, state: "down", detail: plan.reason });
      continue;
    }
    const factory = SOURCE_FACTORIES[plan.name];
    if (!factory) {
      emit("source.status", { source: plan.name, state: "down", detail: `inputs found (${plan.detail}), but this version of peerwatch has no ${plan.name} extractor yet` });
      continue;
    }
    const slog = log.child({ source: plan.name });
    runs.push(
      factory()
        .then((source: Source) => source.run({ config, emit, log: slog, signal: stop.signal, instruments: metrics.instruments }))
        .catch((err: unknown) => {
          slog.error({ err }, `${plan.name} source failed`);
          emit("source.status", { source: plan.name, state: "down", detail: `failed: ${(err as Error).message ?? String(err)}` });
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
