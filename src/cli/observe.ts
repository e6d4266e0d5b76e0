// `peerwatch observe`: find the sources, start them, feed the bus into the tools, stop cleanly.
import { ConfigError } from "../config/load.js";
import { emitterFor, type PeerwatchEvent } from "../events/index.js";
import { createLogger, type Logger } from "../logger.js";
import { aborted } from "../sources/abort.js";
import type { SourcePlan } from "../sources/types.js";
import { DEFAULT_WEB } from "../tools/web/index.js";
import type { CommandSpec } from "./command.js";
import { demoFile, runDemo } from "./demo.js";
import { OBSERVE_OPTIONS, loadObserveConfig, type ObserveConfig } from "./observe-options.js";
import { SOURCES } from "./sources.js";
import { createBus, loadToolFiles, startTools } from "./tools.js";
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
  const files = loadToolFiles(config, log);
  if (!files) return 2;
  const { thresholds, lists } = files;

  const bus = createBus(config.nodeName, log);
  const publish = (e: PeerwatchEvent) => bus.publish(e);

  // Discovery first: whether the demo runs decides whether the live page is on by default.
  const found = discoverSources(config);
  const demo = demoFile(config, found.map((f) => f.plan));
  if ("why" in demo) log.debug(`no demo: ${demo.why}`);
  const tools = await startTools(bus, { ...config, web: config.web ?? ("file" in demo ? DEFAULT_WEB : "off") }, thresholds, lists, log);
  if (!tools) {
    await bus.close();
    return 1;
  }
  const metrics = tools.metrics;

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
  for (const { descriptor, plan } of found) {
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

  if ("file" in demo) {
    const urls = [tools.web ? `live page at ${tools.web.url}` : "", metrics.server ? `metrics at http://${metrics.server.address.host}:${metrics.server.address.port}/metrics` : ""].filter(Boolean);
    runs.push(runDemo(bus, demo.file, config, urls, log, stop.signal));
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
  await tools.close();
  return 0;
}

export const observeCommand: CommandSpec = {
  name: "observe",
  description: "Read the node through every available source (IPC, eBPF, RPC, P2P, /proc) and serve events, metrics and alerts.",
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
