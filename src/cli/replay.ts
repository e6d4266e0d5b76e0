// `peerwatch replay <file…>`: plays recordings into the bus that feeds the same tools as `observe`
// (metrics, NDJSON, alerts, IP lists, live page), with the same option rows for them.
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import type { MemoryBus } from "../bus/index.js";
import { ConfigError, loadSettings } from "../config/load.js";
import { coreOptions, defaultNodeName, defineOptions, mergeOptions, type OptionValues } from "../config/options.js";
import { onOff, strictNumber } from "../config/values.js";
import { makeEvent } from "../events/index.js";
import type { Logger } from "../logger.js";
import { RecordingPlayer, type ReplaySpeed, type ReplaySummary } from "../tools/record/player.js";
import { run as playRecording, type PlayOptions } from "../tools/record/run.js";
import { showBanner } from "./banner.js";
import { CommandFailed, commandLogger, type CommandSpec } from "./command.js";
import { VERSION } from "../version.js";
import { NATS_OPTIONS, NATS_TOOLS_OPTIONS, natsSettingsProblem, type NatsConnectSettings } from "../bus/nats/options.js";
import { StreamRangeReader } from "../bus/nats/stream-range.js";
import { awaitNats, startNatsPublisher } from "./nats-publish.js";
import { PAGE_OPTIONS, TOOL_OPTIONS } from "./observe-options.js";
import { createBus, loadToolFiles, startTools } from "./start-tools.js";

const REPLAY_OWN_OPTIONS = defineOptions({
  speed: {
    flag: "speed",
    arg: "n|max",
    description:
      "how fast to play: 1 keeps the recorded timing, 10 plays ten times faster (any number above 0, at most 1000000), max as fast as the tools take events " +
      "(never dropping one)",
    defaultText: "1",
    schema: z
      .union([z.literal("max"), strictNumber.pipe(z.number().positive("must be more than 0").max(1e6, "at most 1000000"))], {
        message: "expected a positive number or max",
      })
      .default(1),
  },
  loop: { flag: "loop", description: "start again at the end (time moving on), until stopped", schema: onOff.default(false) },
  linger: {
    flag: "linger",
    arg: "seconds",
    description: "keep /metrics and the live page up this long after the replay ends",
    defaultText: "0",
    schema: strictNumber.pipe(z.number().min(0, "must not be negative").max(86400, "at most 86400")).default(0),
  },
});

/** A point in time: an ISO 8601 time, or a number of seconds before now. */
const pointInTime = z.string().transform((v, ctx) => {
  const t = /^\d+(\.\d+)?$/.test(v.trim()) ? Date.now() - Number(v) * 1000 : /^\d{4}-\d\d-\d\d/.test(v.trim()) ? Date.parse(v.trim()) : NaN;
  if (!Number.isFinite(t)) {
    ctx.addIssue({ code: "custom", message: `expected an ISO 8601 time (2026-01-31T12:00:00Z) or seconds before now, got "${v.slice(0, 60)}"` });
    return z.NEVER;
  }
  return new Date(t);
});

// Replaying a time range of a JetStream stream instead of files (`--from-stream`).
const REPLAY_STREAM_OPTIONS = defineOptions({
  fromStream: {
    flag: "from-stream",
    arg: "name",
    description: "replay the events of this JetStream stream on --nats (instead of files), between --since and --until",
    schema: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, "letters, digits, '_' and '-' only, at most 64")
      .optional(),
  },
  since: {
    flag: "since",
    arg: "time",
    description: "with --from-stream: first store time to replay, ISO 8601 or seconds before now",
    defaultText: "the stream's first event",
    schema: pointInTime.optional(),
  },
  until: {
    flag: "until",
    arg: "time",
    description: "with --from-stream: last store time to replay, ISO 8601 or seconds before now",
    defaultText: "the stream's last event",
    schema: pointInTime.optional(),
  },
  nodes: { ...NATS_TOOLS_OPTIONS.nodes, description: "with --from-stream: comma list of node names to replay", defaultText: "every node in the stream" },
});

const core = coreOptions([]);
export const REPLAY_OPTIONS = mergeOptions(
  REPLAY_OWN_OPTIONS,
  { config: core.config, nodeName: core.nodeName, logLevel: core.logLevel, logFormat: core.logFormat },
  TOOL_OPTIONS,
  PAGE_OPTIONS,
  NATS_OPTIONS,
  REPLAY_STREAM_OPTIONS,
);
type ReplayConfig = OptionValues<
  typeof REPLAY_OWN_OPTIONS &
    typeof REPLAY_STREAM_OPTIONS &
    typeof TOOL_OPTIONS &
    typeof PAGE_OPTIONS &
    Pick<typeof core, "nodeName" | "logLevel" | "logFormat">
> & { nodeName: string } & Partial<OptionValues<typeof NATS_OPTIONS>>;

export const replayCommand: CommandSpec = {
  name: "replay",
  args: "[file...]",
  description:
    "Play recordings (what `observe --events` wrote: NDJSON or binary .pwb, plain or .gz; rotated files oldest first), or a time range of a JetStream " +
    "stream (--from-stream), into " +
    "the same tools as observe.",
  table: REPLAY_OPTIONS,
  run: (opts, files) => runReplay(files, opts),
};

/**
 * Exit codes: 0 done, 1 a port could not be bound, 2 bad settings or no events to play. A bad
 * setting or file throws ConfigError, a failure after start CommandFailed (main.ts turns both into
 * the exit code).
 */
export async function runReplay(files: string[], opts: Record<string, unknown>, signal?: AbortSignal): Promise<number> {
  const notices: string[] = [];
  const s = loadSettings(REPLAY_OPTIONS, opts, process.env, (n) => notices.push(n)) as ReplayConfig;
  const config = { ...s, nodeName: s.nodeName ?? defaultNodeName() };
  const problem = natsSettingsProblem(config) ?? streamRangeProblem(config, files);
  if (problem) throw new ConfigError(problem);
  for (const f of files) {
    let size: number;
    try {
      size = fs.statSync(f).size;
      fs.accessSync(f, fs.constants.R_OK);
    } catch (e) {
      throw new ConfigError(`cannot read ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
    }
    if (size === 0) throw new ConfigError(`${f} is empty: nothing to replay`);
  }
  const log = commandLogger({ level: config.logLevel, format: config.logFormat }, notices);
  return replay(files, config, log, signal);
}

async function replay(files: string[], config: ReplayConfig, log: Logger, signal?: AbortSignal): Promise<number> {
  const settings = loadToolFiles(config, log);
  if (!settings) throw new CommandFailed(2, "a tools' settings file is bad");
  const { thresholds, lists } = settings;
  // The player waits for room before each batch, so nothing it plays is dropped; lossless also
  // keeps what the tools publish meanwhile (alerts) when it finds a queue the player just filled.
  const bus = createBus(config.nodeName, log, true);
  const tools = await startTools(bus, { ...config, web: config.web ?? "off" }, thresholds, lists, log);
  if (!tools) {
    await bus.close();
    throw new CommandFailed(1, "a tool could not start");
  }
  // --nats: the recording goes to NATS as well, waiting for room so that nothing is dropped.
  // (--from-stream reads --nats instead: publishing there too would feed the stream its own replay.)
  const nats =
    config.nats && !config.fromStream
      ? startNatsPublisher(bus, { ...config, nats: config.nats } as ReplayConfig & NatsConnectSettings, log, "replay", true)
      : undefined;
  if (nats && !(await awaitNats(nats, log))) {
    await nats.close(100);
    await bus.close();
    await tools.close();
    throw new CommandFailed(1, "NATS refused the connection"); // the bus has logged why
  }
  showBanner(
    {
      version: VERSION,
      replay: true,
      watching: config.fromStream ? `stream ${config.fromStream} on ${config.nats?.join(", ")}` : files.map((f) => path.basename(f)).join(", "),
      note: `at speed ${config.speed}${config.loop ? ", in a loop" : ""}`,
      pageUrl: tools.web?.url,
      metricsUrl: tools.metrics.server ? `http://${tools.metrics.server.address.host}:${tools.metrics.server.address.port}/metrics` : undefined,
      stop: config.loop ? "Ctrl-C" : `at the end${config.linger > 0 ? `, after --linger ${config.linger} s` : ""}, or Ctrl-C`,
    },
    log,
    config.logFormat,
  );
  const stop = stopOnSignals(signal);
  const play = { files, speed: config.speed as ReplaySpeed, loop: config.loop, nodeName: config.nodeName, signal: stop.signal };
  let summary: ReplaySummary;
  try {
    summary = config.fromStream
      ? await playStreamRange(bus, play, config as ReplayConfig & { fromStream: string; nats: string[] }, log)
      : await playRecording(play, { bus, signal: stop.signal, log });
  } catch (e) {
    stop.dispose();
    await nats?.close(100);
    await bus.close();
    await tools.close();
    throw e;
  }
  await bus.drained();
  await tools.flushed(); // every event written before "done" is said (lines wait up to 50 ms in a batch)
  await nats?.close(30_000); // sends what is still buffered
  let nothing: string | undefined;
  if (summary.events === 0 && !summary.aborted) {
    nothing = `no events in ${config.fromStream ? `stream ${config.fromStream} in the range` : files.join(", ")}: nothing was replayed`;
    log.error(nothing);
  } else if (config.linger > 0 && !stop.signal.aborted) {
    log.info(`replay done; /metrics and the live page stay up for ${config.linger} s (--linger)`);
    await new Promise<void>((res) => {
      const t = setTimeout(res, config.linger * 1000);
      stop.signal.addEventListener("abort", () => (clearTimeout(t), res()), { once: true });
    });
  }
  stop.dispose();
  await bus.close();
  await tools.close();
  if (nothing) throw new CommandFailed(2, nothing);
  return 0;
}

/** Checks between the --from-stream settings and the files given; the problem or undefined. */
function streamRangeProblem(c: ReplayConfig, files: string[]): string | undefined {
  if (!c.fromStream) {
    const stray = (["since", "until", "nodes"] as const).find((k) => c[k] !== undefined);
    if (stray) return `--${stray} needs --from-stream`;
    return files.length === 0 ? "give recording files, or --from-stream with --nats" : undefined;
  }
  if (files.length > 0) return "give recording files or --from-stream, not both";
  if (!c.nats) return "--from-stream needs --nats (the server that holds the stream)";
  if (c.natsStream) return "--from-stream reads a stream and --nats-stream writes one: give one of them";
  if (c.loop) return "--loop plays files only, not --from-stream";
  if (c.since && c.until && c.until < c.since) return `--until (${c.until.toISOString()}) is before --since (${c.since.toISOString()})`;
  return undefined;
}

/** Plays a time range of a JetStream stream; throws CommandFailed (exit 2, logged) when the stream cannot be read. */
async function playStreamRange(
  bus: MemoryBus,
  o: PlayOptions & { signal: AbortSignal },
  c: ReplayConfig & { fromStream: string; nats: string[] },
  log: Logger,
): Promise<ReplaySummary> {
  const reader = new StreamRangeReader(c as NatsConnectSettings, { stream: c.fromStream, since: c.since, until: c.until, nodes: c.nodes }, log);
  try {
    await reader.open();
  } catch (e) {
    log.error(`cannot read the stream: ${(e as Error).message}`);
    throw new CommandFailed(2, `cannot read the stream: ${(e as Error).message}`, { cause: e });
  }
  try {
    const player = new RecordingPlayer(bus, { ...o, files: [] });
    const s = await player.playEvents(reader.events(o.signal), `stream ${c.fromStream}`);
    const { received, rejected } = reader.counters;
    if (rejected > 0) {
      // Counted like the NATS bus counts them: an events.dropped the metrics tool adds up.
      bus.publish(makeEvent("peerwatch", c.nodeName, "events.dropped", { source: "nats:receive", count: rejected, reason: "foreign or malformed message" }));
    }
    log[rejected > 0 ? "warn" : "info"](
      { events: s.events, received, rejected },
      `replay ${s.aborted ? "stopped" : "finished"}: ${s.events} events from stream ` +
        `${c.fromStream}${rejected ? `; ${rejected} foreign or malformed message(s) skipped` : ""}`,
    );
    return s;
  } catch (e) {
    log.error(`reading stream ${c.fromStream} failed: ${(e as Error).message}`);
    throw new CommandFailed(2, `reading stream ${c.fromStream} failed: ${(e as Error).message}`, { cause: e });
  } finally {
    await reader.close();
  }
}

/** An AbortController that fires on SIGINT/SIGTERM or the given signal. */
export function stopOnSignals(signal?: AbortSignal): { signal: AbortSignal; dispose(): void } {
  const c = new AbortController();
  const onSig = () => c.abort();
  process.once("SIGINT", onSig);
  process.once("SIGTERM", onSig);
  signal?.addEventListener("abort", onSig, { once: true });
  return {
    signal: c.signal,
    dispose() {
      process.off("SIGINT", onSig);
      process.off("SIGTERM", onSig);
    },
  };
}
