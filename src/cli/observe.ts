// `peerwatch observe`: find the sources, start them, feed the bus into the tools, stop cleanly.
import type { NatsBus } from "../bus/nats/nats-bus.js";
import type { NatsConnectSettings } from "../bus/nats/options.js";
import type { MemoryBus } from "../bus/index.js";
import { emitterFor, type PeerwatchEvent } from "../events/index.js";
import type { Logger } from "../logger.js";
import { aborted } from "../sources/abort.js";
import { DEFAULT_WEB } from "../tools/web/index.js";
import { CommandFailed, commandLogger, type CommandSpec } from "./command.js";
import { showBanner, stopHint } from "./banner.js";
import { demoFile, demoBanner, runDemo } from "./demo.js";
import { awaitNats, startNatsPublisher } from "./nats-publish.js";
import { OBSERVE_COMMAND_OPTIONS, loadObserveConfig, type ObserveConfig } from "./observe-options.js";
import { stopSignal } from "./stop-signal.js";
import { explainMissingIpc } from "./ipc-explainer.js";
import { discoverSources, settled, startSources } from "./start-sources.js";
import { createBus, loadToolFiles, startTools } from "./start-tools.js";
import { VERSION } from "../version.js";

export { discoverSources } from "./start-sources.js";

/** How long sources get to stop after shutdown begins. */
export const STOP_TIMEOUT_MS = 5000;

/** Runs until stopped; resolves to 0, or throws CommandFailed when something it needs cannot start (its log says why). */
export async function observe(config: ObserveConfig, log: Logger, signal?: AbortSignal): Promise<number> {
  const files = loadToolFiles(config, log);
  if (!files) throw new CommandFailed(2, "a tools' settings file is bad");
  const { thresholds, lists } = files;

  const bus = createBus(config.nodeName, log);
  const publish = (e: PeerwatchEvent) => bus.publish(e);
  const publishBatch = (events: readonly PeerwatchEvent[]) => bus.publishBatch(events);

  // Discovery first: whether the demo runs decides whether the live page is on by default.
  const found = discoverSources(config);
  const demo = demoFile(
    config,
    found.map((f) => f.plan),
  );
  if ("why" in demo) log.debug(`no demo: ${demo.why}`);
  const tools = await startTools(
    bus,
    { ...config, web: config.web ?? ("file" in demo ? DEFAULT_WEB : "off"), quietReplay: "file" in demo },
    thresholds,
    lists,
    log,
  );
  if (!tools) {
    await bus.close();
    throw new CommandFailed(1, "a tool could not start");
  }
  const metrics = tools.metrics;
  explainMissingIpc(bus, emitterFor("ipc", config.nodeName, publish));
  let nats: NatsBus | undefined;
  try {
    nats = await publishToNats(bus, config, log);
  } catch (e) {
    await tools.close();
    await bus.close();
    throw e;
  }

  const stop = stopSignal(log, signal, config.duration);

  const runs = startSources(config, publish, log, stop.signal, metrics.instruments, found, publishBatch);
  await bus.drained(); // the "what I looked for" lines first, then the banner
  const starting = found.filter((f) => f.plan.start).map((f) => f.plan.name);
  showBanner(
    {
      version: VERSION,
      replay: "file" in demo,
      ...("file" in demo
        ? demoBanner(demo.file)
        : { watching: `node "${config.nodeName}" on ${config.chain} (${config.datadir}): ${starting.join(", ") || "no source yet (see the lines above)"}` }),
      pageUrl: tools.web?.url,
      metricsUrl: metrics.server ? `http://${metrics.server.address.host}:${metrics.server.address.port}/metrics` : undefined,
      stop: stopHint(config.duration),
    },
    log,
    config.logFormat,
  );
  if ("file" in demo) runs.push(runDemo(bus, demo.file, config, log, stop.signal));

  await aborted(stop.signal);
  stop.dispose();
  const stopped = await settled(runs, STOP_TIMEOUT_MS);
  if (!stopped) log.warn(`some sources did not stop within ${STOP_TIMEOUT_MS} ms`);
  await bus.close();
  await nats?.close();
  await tools.close();
  return 0;
}

/** `--nats`: publish every event there too (see nats-publish.ts); throws CommandFailed (exit 1) when it cannot start. */
async function publishToNats(bus: MemoryBus, config: ObserveConfig, log: Logger): Promise<NatsBus | undefined> {
  if (!config.nats) return undefined;
  let nats: NatsBus;
  try {
    // observe's own table gives the NATS rows their defaults whenever --nats is set
    nats = startNatsPublisher(bus, { ...config, nats: config.nats } as ObserveConfig & NatsConnectSettings, log);
  } catch (e) {
    log.error(`NATS: ${(e as Error).message}`);
    throw new CommandFailed(1, `NATS: ${(e as Error).message}`, { cause: e });
  }
  if (await awaitNats(nats, log)) return nats;
  await nats.close(100);
  throw new CommandFailed(1, "NATS refused the connection"); // the bus has logged why
}

export const observeCommand: CommandSpec = {
  name: "observe",
  description: "Read the node through every available source (IPC, eBPF, RPC, P2P, /proc, debug.log) and serve events, metrics and alerts.",
  table: OBSERVE_COMMAND_OPTIONS,
  helpAfter:
    "\nEvery flag can also be set by its PEERWATCH_* environment variable or in the --config file.\nSee README.md and docs/ for what each source needs from " +
    "the node.",
  async run(opts) {
    const notices: string[] = [];
    const config = loadObserveConfig(opts, process.env, OBSERVE_COMMAND_OPTIONS, (n) => notices.push(n));
    const log = commandLogger({ level: config.logLevel, format: config.logFormat }, notices);
    log.info({ chain: config.chain, node: config.nodeName, sources: config.sources }, `peerwatch ${VERSION} observing`);
    return observe(config, log);
  },
};
