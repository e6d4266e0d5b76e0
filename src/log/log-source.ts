// The "log" source: follows the node's debug.log (or a named pipe), parses each line and emits the
// facts as events stamped with the line's own time. Lines no parser knows are counted by category
// and reported with the other line counts in periodic `log.lines` events.
import { findRunningNode } from "../sources/discover.js";
import { StatusReporter } from "../sources/status-reporter.js";
import type { Source, SourceContext } from "../sources/types.js";
import type { LogConfig } from "./options.js";
import { LogFollower } from "./follower.js";
import { lastIdentity } from "./last-identity.js";
import { LogParser } from "./line-kinds.js";
import { NodePresence } from "./node-presence.js";
import { logPath, logStatePath } from "./paths.js";

/** Bounds that keep a pathological log from costing more than a few MiB. */
export const LOG_LIMITS = {
  /** Longest line kept (Bitcoin Core's longest real lines are a few hundred bytes). */
  maxLineBytes: 16 * 1024,
  chunkBytes: 64 * 1024,
  pollMs: 250,
  maxLinesPerSecond: 50_000,
  /** How often the line counts go out as a log.lines event (when they changed). */
  statsEveryMs: 10_000,
  /** How often the node's PID is looked for (node-presence.ts): the file outlives the node. */
  nodeCheckMs: 2_000,
};

export class LogSource implements Source<LogConfig> {
  readonly name = "log" as const;

  constructor(private readonly limits = LOG_LIMITS) {}

  async run({ config, emit, signal }: SourceContext<LogConfig>): Promise<void> {
    const status = new StatusReporter(emit, "log");
    const parser = new LogParser(config.chain);
    const parsed: Record<string, number> = {};
    const unknown: Record<string, number> = {};
    let truncated = 0;
    let statsKey = "";
    /** After a truncation or replacement: lines older than this were handled before. */
    let skipBefore: number | undefined;

    // While the node is gone the source is down, whatever the follower says of the file.
    const presence = new NodePresence(
      () => findRunningNode(config),
      (c) => status.report(c.gone ? "down" : "up", c.detail),
    );
    const followerStatus = (state: "up" | "down", detail: string) => {
      if (state === "up" && presence.isGone) return;
      status.report(state, detail);
    };
    const path = logPath(config);
    const follower = new LogFollower({
      path,
      stateFile: logStatePath(config),
      startAt: config.logFrom,
      maxLineBytes: this.limits.maxLineBytes,
      chunkBytes: this.limits.chunkBytes,
      pollMs: this.limits.pollMs,
      maxLinesPerSecond: this.limits.maxLinesPerSecond,
      signal,
      onStatus: followerStatus,
      onOpened: (offset, fifo) => {
        // Starting after the node's startup line: read back to it, so the source still says who the node is.
        if (fifo || offset === 0) return;
        void lastIdentity(path, offset, config.chain).then((facts) => {
          if (!signal.aborted) for (const f of facts) emit(f.type, f.data);
        });
      },
      onRestart: (why, lastTsUs) => {
        skipBefore = lastTsUs;
        followerStatus("up", why);
      },
      onLine: (l) => {
        if (l.truncated) truncated++;
        const r = parser.parse(l.text);
        const ts = r.line.tsUs;
        if (skipBefore !== undefined) {
          if (ts !== undefined && ts < skipBefore) return;
          skipBefore = undefined;
        }
        if (ts !== undefined && (follower.lastTsUs === undefined || ts > follower.lastTsUs)) follower.lastTsUs = ts;
        presence.onLine(r.kind, ts);
        if (r.kind === undefined) {
          if (l.text === "") return;
          const cat = r.line.category ?? "none";
          unknown[cat] = (unknown[cat] ?? 0) + 1;
          return;
        }
        parsed[r.kind] = (parsed[r.kind] ?? 0) + 1;
        for (const f of r.facts) {
          try {
            emit(f.type, f.data, ts);
          } catch (e) {
            // A fact the model refuses (checked builds only): lost, and said so, never a crash.
            emit("events.dropped", {
              source: "log",
              count: 1,
              reason: `${r.kind} line gave an invalid ${f.type}: ${String((e as Error).message).slice(0, 160)}`,
            });
          }
        }
      },
    });

    const report = () => {
      const data = { parsed: { ...parsed }, unknown: { ...unknown }, truncated, throttled: follower.stats.throttled };
      const key = JSON.stringify(data);
      if (key === statsKey) return;
      statsKey = key;
      emit("log.lines", data);
    };
    const timer = setInterval(report, this.limits.statsEveryMs);
    presence.check();
    const nodeTimer = setInterval(() => presence.check(), this.limits.nodeCheckMs);
    try {
      await follower.run();
    } finally {
      clearInterval(timer);
      clearInterval(nodeTimer);
      report();
      status.report("down", "stopped");
    }
  }
}
