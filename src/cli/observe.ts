// `peerwatch observe`: find the sources, start them, feed the bus into the tools, stop cleanly.
import { ConfigError } from "../config/load.js";
import { emitterFor, type PeerwatchEvent } from "../events/index.js";
import { createLogger, type Logger } from "../logger.js";
import { aborted } from "../sources/abort.js";
import { DEFAULT_WEB } from "../tools/web/index.js";
import type { CommandSpec } from "./command.js";
import { demoFile, runDemo } from "./demo.js";
import { OBSERVE_COMMAND_OPTIONS, loadObserveConfig, type ObserveConfig } from "./observe-options.js";
import { explainMissingIpc } from "./ipc-explainer.js";
import { discoverSources, settled, startSources } from "./start-sources.js";
import { createBus, loadToolFiles, startTools } from "./tools.js";
import { VERSION } from "./version.js";

export { discoverSources } from "./start-sources.js";

/** How long sources get to stop after shutdown begins. */
export const STOP_TIMEOUT_MS = 5000;

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
  explainMissingIpc(bus, emitterFor("ipc", config.nodeName, publish));

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

  const runs = startSources(config, publish, log, stop.signal, metrics.instruments, found);
  if ("file" in demo) {
    const urls = [tools.web ? `live page at ${tools.web.url}` : "", metrics.server ? `metrics at http://${metrics.server.address.host}:${metrics.server.address.port}/metrics` : ""].filter(Boolean);
    runs.push(runDemo(bus, demo.file, config, urls, log, stop.signal));
  }

  await aborted(stop.signal);
  clearTimeout(durationTimer);
  process.off("SIGINT", sigint);
  process.off("SIGTERM", sigterm);
  const stopped = await settled(runs, STOP_TIMEOUT_MS);
  if (!stopped) log.warn(`some sources did not stop within ${STOP_TIMEOUT_MS} ms`);
  await bus.close();
  await tools.close();
  return 0;
}

export const observeCommand: CommandSpec = {
  name: "observe",
  description: "Read the node through every available source (IPC, eBPF, RPC, P2P, /proc, debug.log) and serve events, metrics and alerts.",
  table: OBSERVE_COMMAND_OPTIONS,
  helpAfter: "\nEvery flag can also be set by its PEERWATCH_* environment variable or in the --config file.\nSee README.md and docs/ for what each source needs from the node.",
  async run(opts) {
    let config;
    try {
      config = loadObserveConfig(opts, process.env, OBSERVE_COMMAND_OPTIONS);
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
