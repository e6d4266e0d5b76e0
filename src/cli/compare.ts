// `peerwatch compare`: runs the sources side by side on one node for --duration (same flags as
// observe), or reads recordings (NDJSON from --events, .gz too), and reports per kind of fact how
// the sources agree (src/tools/compare). This file only wires: sources and cost samples onto a bus,
// the bus into the analysis, the report out.
import fs from "node:fs";
import { MemoryBus } from "../bus/index.js";
import type { OptionValues } from "../config/options.js";
import { emitterFor, type PeerwatchEvent } from "../events/index.js";
import type { Logger } from "../logger.js";
import { ConfigError } from "../config/load.js";
import { sampleProcesses } from "../proc/process-sampler.js";
import { aborted, sleep } from "../sources/abort.js";
import { findNodePid } from "../sources/discover.js";
import { Comparer } from "../tools/compare/comparer.js";
import { COMPARE_OPTIONS, DEFAULT_COMPARE_SECONDS } from "../tools/compare/options.js";
import { run as runCompareTool } from "../tools/compare/run.js";
import { NDJSON_OPTIONS } from "../tools/ndjson/options.js";
import { RECORD_OPTIONS } from "../tools/record/options.js";
import { readRecording, type RecordingStats } from "../tools/record/read-events.js";
import { renderMarkdown, renderText } from "../tools/compare/render.js";
import type { CompareReport } from "../tools/compare/report.js";
import { CommandFailed, commandLogger, type CommandSpec } from "./command.js";
import { logEvents } from "./event-log.js";
import { STOP_TIMEOUT_MS } from "./observe.js";
import { loadSourcesConfig, sourcesTable, type SourcesConfig } from "./observe-options.js";
import { settled, startSources } from "./start-sources.js";
import { runRecording } from "./start-tools.js";

/** Cost samples at least this often, so a short run still has a window. */
const MAX_SAMPLE_SECONDS = 5;

/** compare runs the sources and records, but serves no tools: no metrics, alerts or page flags. */
const COMPARE_TABLE = sourcesTable(NDJSON_OPTIONS, RECORD_OPTIONS, COMPARE_OPTIONS);
type CompareConfig = SourcesConfig & OptionValues<typeof NDJSON_OPTIONS & typeof RECORD_OPTIONS>;

export const compareCommand: CommandSpec = {
  name: "compare",
  args: "[recording...]",
  description:
    "Run the sources side by side (IPC, eBPF, RPC, log, /proc) and report how they agree on blocks, peers and messages, and what each costs; or compare " +
    "recorded events (what --events wrote: NDJSON or binary .pwb, .gz too).",
  table: COMPARE_TABLE,
  helpAfter:
    `\nWithout recordings, compare runs live for --duration (default ${DEFAULT_COMPARE_SECONDS} s) with observe's source flags and --events (no ` +
    `metrics, alerts or page). See docs/compare.md for each line of the report.`,
  run: (opts, args) => runCompare(args, opts),
};

/** Resolves to 0; throws ConfigError on a bad setting or a missing recording, CommandFailed when the report cannot be written. */
export async function runCompare(files: string[], opts: Record<string, unknown>): Promise<number> {
  const { json, markdown, ...observeOpts } = opts;
  let report: CompareReport;
  if (files.length > 0) {
    const missing = files.find((f) => !fs.existsSync(f));
    if (missing) throw new ConfigError(`no such recording ${missing}`);
    const stats: RecordingStats = { lines: 0, invalid: 0, errors: [] };
    const c = new Comparer();
    for await (const e of readRecording(files, stats)) c.add(e);
    c.invalidLines = stats.invalid;
    for (const err of stats.errors) process.stderr.write(`peerwatch compare: skipped ${err.slice(0, 300)}\n`);
    report = c.report();
  } else {
    const notices: string[] = [];
    const config = loadSourcesConfig<CompareConfig>(COMPARE_TABLE, observeOpts, process.env, (n) => notices.push(n));
    const log = commandLogger({ level: config.logLevel, format: config.logFormat }, notices);
    report = await compareLive(config, log);
  }
  process.stdout.write(json ? `${JSON.stringify(report)}\n` : renderText(report));
  if (typeof markdown === "string") {
    try {
      fs.writeFileSync(markdown, renderMarkdown(report));
    } catch (e) {
      const why = `cannot write ${markdown}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
      process.stderr.write(`peerwatch compare: ${why}\n`);
      throw new CommandFailed(1, why, { cause: e });
    }
  }
  return 0;
}

/** Runs every source that can run for the duration, with cost samples at start and end, and returns the report. */
export async function compareLive(config: CompareConfig, log: Logger, signal?: AbortSignal): Promise<CompareReport> {
  const seconds = config.duration ?? DEFAULT_COMPARE_SECONDS;
  log.info({ sources: config.sources }, `comparing the sources for ${seconds} s`);
  const bus = new MemoryBus({ nodeName: config.nodeName, onHandlerError: (name, err) => log.error({ subscriber: name, err }, "a bus subscriber failed") });
  const toolsStop = new AbortController(); // after the bus has delivered everything
  const compare = await runCompareTool({}, { bus, signal: toolsStop.signal, log });
  // Which sources are not up, and why, as they say so: not only in the report at the end.
  logEvents(bus, log);
  const writer = await runRecording(config, { bus, signal: toolsStop.signal, log });
  const publish = (e: PeerwatchEvent) => bus.publish(e);

  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  signal?.addEventListener("abort", onSignal, { once: true });
  const timer = setTimeout(onSignal, seconds * 1000);

  // Cost: peerwatch, its bpftrace and the node's threads, sampled through the run and once at the end.
  const emitCost = emitterFor("peerwatch", config.nodeName, publish);
  const emitNode = emitterFor("proc", config.nodeName, publish);
  const sample = () => {
    const found = findNodePid(config);
    for (const s of sampleProcesses(found.pid)) {
      (s.role === "node" ? emitNode : emitCost)("threads.snapshot", { pid: s.pid, role: s.role, threads: s.threads });
    }
  };
  const sampling = (async () => {
    const every = Math.min(config.procInterval, MAX_SAMPLE_SECONDS) * 1000;
    while (!stop.signal.aborted) {
      sample();
      await sleep(every, stop.signal);
    }
  })();

  const runs = startSources(config, publish, log, stop.signal);
  await aborted(stop.signal);
  clearTimeout(timer);
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  // The end sample before the sources stop, so shutdown work is not counted as their cost.
  sample();
  await sampling;
  if (!(await settled(runs, STOP_TIMEOUT_MS))) log.warn(`some sources did not stop within ${STOP_TIMEOUT_MS} ms`);
  await bus.close();
  toolsStop.abort();
  await Promise.all([compare.stopped, writer?.stopped]);
  return compare.report();
}
