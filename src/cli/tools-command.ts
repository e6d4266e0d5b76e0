// `peerwatch tools`: the tools (metrics, alerts, NDJSON, fleet view) fed from NATS instead of a node,
// for one node or many. Events from NATS go onto an in-process bus, as in `observe`, so the tools
// are the same code; alerts are re-derived here from each node's events (alerts the publishers
// raised are not counted again).
import fs from "node:fs";
import { NatsBus } from "../bus/nats/nats-bus.js";
import { createLogger } from "../logger.js";
import { CommandFailed, type CommandSpec } from "./command.js";
import { stopSignal } from "./stop-signal.js";
import { createBus, loadToolFiles, runRecording } from "./start-tools.js";
import type { ToolContext } from "../bus/tool.js";
import { run as runWeb, type RunningWeb } from "../tools/web/run.js";
import { TOOLS_COMMAND_OPTIONS, loadToolsCommandConfig, type ToolsCommandConfig } from "./tools-command-options.js";
import { VERSION } from "../version.js";
import type { Logger } from "../logger.js";
import { aborted } from "../sources/abort.js";
import { run as runFleet } from "../tools/fleet/run.js";
import { startMetricsServer, type MetricsServer } from "../tools/metrics/metrics-server.js";
import { logEvents } from "./event-log.js";
import { awaitNats } from "./nats-publish.js";
import { PerNodeTools } from "./per-node-tools.js";

export async function toolsFromNats(config: ToolsCommandConfig, log: Logger, signal?: AbortSignal): Promise<number> {
  const files = loadToolFiles(config, log);
  if (!files) throw new CommandFailed(2); // the log says why
  const { thresholds, lists } = files;

  const bus = createBus(config.nodeName, log);
  logEvents(bus, log);
  // The tools started here (NDJSON, fleet view, live page) stop on one signal.
  const toolsStop = new AbortController();
  const ctx: ToolContext = { bus, signal: toolsStop.signal, log };
  const running: Promise<void>[] = [];
  const stopTools = async (): Promise<void> => {
    toolsStop.abort();
    await Promise.all(running);
  };
  const writer = await runRecording(config, ctx);
  if (writer) running.push(writer.stopped);
  const single = config.nodes?.length === 1 ? config.nodes[0] : undefined;
  if (config.baselineState !== undefined && !baselineStateDir(config.baselineState, log)) {
    await stopTools();
    await bus.close();
    throw new CommandFailed(2); // the log says why
  }
  const nodes = new PerNodeTools(bus, lists, thresholds, { single, nodeName: config.nodeName, log, baselineStateDir: config.baselineState });
  nodes.attach();
  // The fleet view needs several nodes; with one, /metrics stays exactly what observe serves.
  if (!single) running.push((await runFleet({ nodeName: config.nodeName, registry: nodes.registry }, ctx)).stopped);
  let server: MetricsServer | undefined;
  if (config.metrics !== "off") {
    try {
      server = await startMetricsServer(nodes.metricsSource(), config.metrics);
    } catch (e) {
      log.error(`cannot serve metrics on ${config.metrics.host}:${config.metrics.port}: ${(e as Error).message} (use --metrics host:port or --metrics off)`);
      await stopTools();
      await bus.close();
      throw new CommandFailed(1);
    }
    log.info(`metrics at http://${server.address.host}:${server.address.port}/metrics`);
  }
  // The live page shows one node; over several it would mix their peers.
  let web: RunningWeb | undefined;
  if (config.web && config.web !== "off") {
    const registry = single !== undefined ? nodes.registryOf(single) : undefined;
    if (!registry) {
      log.error("--web needs --nodes naming exactly one node (the live page shows one node)");
      await Promise.all([stopTools(), server?.close(), bus.close()]);
      throw new CommandFailed(2);
    }
    try {
      web = await runWeb({ web: config.web, lists, registry }, ctx);
    } catch (e) {
      log.error(`cannot serve the live page on ${config.web.host}:${config.web.port}: ${(e as Error).message} (use --web host:port or --web off)`);
      await Promise.all([stopTools(), server?.close(), bus.close()]);
      throw new CommandFailed(1);
    }
    running.push(web.stopped);
    log.info(`live page at ${web.url}`);
  }

  let nats: NatsBus;
  try {
    nats = new NatsBus(config, {
      nodeName: config.nodeName,
      log,
      clientName: `peerwatch tools ${config.nodeName}`,
      nodes: config.nodes,
      stream: config.natsStream ? { name: config.natsStream, maxAgeSeconds: config.natsStreamMaxAge, maxBytes: config.natsStreamMaxBytes } : undefined,
      durable: config.natsDurable,
      // Durable reading acks an event only once every tool here has handled it.
      settled: async () => {
        await bus.idle();
        await writer?.flushed();
      },
    });
  } catch (e) {
    log.error(`NATS: ${(e as Error).message}`);
    await Promise.all([stopTools(), server?.close(), bus.close()]);
    throw new CommandFailed(2);
  }
  nats.subscribe({ name: "tools", maxQueue: 100_000 }, (e) => {
    if (e.type === "alert" && e.source === "peerwatch") return; // re-derived here
    bus.publish(e);
  });

  const stop = stopSignal(log, signal, config.duration);

  let code = 0;
  nats.ready.catch(() => {
    code = 1; // refused later (e.g. credentials): nothing to read, stop
    stop.stop();
  });
  if (!(await awaitNats(nats, log, stop.signal))) code = 1;
  else await aborted(stop.signal);
  stop.dispose();
  await nats.close();
  await bus.drained(); // every event handled, so the baselines saved by nodes.close() have learnt them all
  nodes.close();
  await bus.close();
  await stopTools();
  await server?.close();
  if (code) throw new CommandFailed(code, "NATS refused the connection"); // the bus has logged why
  return 0;
}

/** --baseline-state of `tools` is a directory (one state file per node): made if missing; false (and logged) if it cannot be. */
function baselineStateDir(dir: string, log: Logger): boolean {
  const why = "for peerwatch tools it is a directory: one state file per node";
  try {
    if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) {
      log.error(`--baseline-state ${dir} is not a directory (${why})`);
      return false;
    }
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    return true;
  } catch (e) {
    log.error(`--baseline-state ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} (${why})`);
    return false;
  }
}

export const toolsCommand: CommandSpec = {
  name: "tools",
  description: "Run the tools (metrics, alerts, NDJSON, fleet view) on events read from NATS, for one node or many (see docs/nats.md).",
  table: TOOLS_COMMAND_OPTIONS,
  helpAfter:
    "\nEvery flag can also be set by its PEERWATCH_* environment variable or in the --config file.\nSee docs/nats.md and docs/deploy.md for a multi-node " +
    "set-up.",
  async run(opts) {
    const config = loadToolsCommandConfig(opts); // a ConfigError: main.ts says it, exit 2
    const log = createLogger({ level: config.logLevel, format: config.logFormat });
    log.info({ node: config.nodeName, nodes: config.nodes ?? "all" }, `peerwatch ${VERSION} tools reading NATS`);
    return toolsFromNats(config, log);
  },
};
