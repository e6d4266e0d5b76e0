// The recording player's entry: plays recordings onto the bus (what `replay` and the demo put there
// instead of sources) until they end or the signal aborts; the log tells the first bad lines and
// a summary at the end, a progress line on a TTY. A producer, not a reader of the bus: its run
// resolves when the playing has ended, with what was played.
import path from "node:path";
import type { ToolContext } from "../../bus/tool.js";
import { makeEvent } from "../../events/index.js";
import { RecordingPlayer, type ReplayBus, type ReplaySpeed, type ReplaySummary } from "./player.js";
import { showProgress } from "./progress-line.js";

export interface PlayOptions {
  files: string[];
  speed: ReplaySpeed;
  loop: boolean;
  nodeName: string;
  label?: string;
  /** Draw the progress line (on a TTY); the demo, which loops under the log, does not. */
  progress?: boolean;
}

/** The player publishes through a bus it can wait for room on (MemoryBus). */
export type PlayerContext = Omit<ToolContext, "bus"> & { bus: ReplayBus };

/** Bad lines told one by one before the rest are only counted. */
export const BAD_LINES_SHOWN = 5;

/** A reason quoting the bad bytes, made safe for a terminal: control and non-ASCII bytes as `?`, cut to 200. */
function printable(s: string): string {
  const t = s.replace(/[^\x20-\x7e…]/g, "?");
  return t.length > 200 ? `${t.slice(0, 200)}…` : t;
}

/** Plays recordings with the log telling the first bad lines and a summary at the end; progress on a TTY. */
export async function run(o: PlayOptions, { bus, signal, log }: PlayerContext): Promise<ReplaySummary> {
  let badShown = 0;
  const player = new RecordingPlayer(bus, {
    ...o,
    signal,
    // A few bad lines are told one by one; past that (a file that is not a recording at all) they
    // are only counted, and the summary below gives the total.
    onBadLine: (b) => {
      if (++badShown <= BAD_LINES_SHOWN) {
        const place = b.offset === undefined ? `line ${b.lineNo}` : `byte ${b.offset} (record ${b.lineNo})`;
        log.warn({ file: b.file, line: b.lineNo, offset: b.offset }, `${b.file} ${place} skipped: ${printable(b.reason)}`);
      }
      if (badShown === BAD_LINES_SHOWN) log.warn(`further bad lines are counted, not shown`);
    },
    onPassEnd: (n) => {
      log.debug(`replay pass ${n} done`);
      // Each new pass of a loop is said on the bus: the page marks blocks by pass, so heights
      // starting over read as the recording again, not as a reorg. (Not at speed max, where a
      // pass lasts a moment and a line per pass would flood the log.)
      if (o.loop && o.speed !== "max" && !signal.aborted)
        bus.publish(
          makeEvent("replay", o.nodeName, "source.status", {
            source: "replay",
            state: "up",
            detail:
              `${o.label ? `${o.label}: ` : ""}pass ${n + 1}: replaying the recording ${o.files.map((f) => path.basename(f)).join(", ")} again, time ` +
              `moving on; these events are not from a live node`,
          }),
        );
    },
  });
  const endProgress = o.progress === false ? () => {} : showProgress(process.stderr, () => player.progress());
  const s = await player.play();
  endProgress();
  const bad = s.badLines > 0 ? `; ${s.badLines} bad line(s) skipped${s.truncatedFiles.length ? `, truncated: ${s.truncatedFiles.join(", ")}` : ""}` : "";
  const derived = s.rederivedAlerts > 0 ? `; ${s.rederivedAlerts} recorded alert(s) left for the alert tool to raise again` : "";
  log[s.badLines > 0 ? "warn" : "info"](
    { events: s.events, passes: s.passes, badLines: s.badLines },
    `replay ${s.aborted ? "stopped" : "finished"}: ${s.events} events${bad}${derived}`,
  );
  return s;
}
