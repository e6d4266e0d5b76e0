// The last thing start-up prints: where the page and /metrics are, what is watched (or replayed)
// and how to stop. On a terminal (pretty logs) a few plain lines that stay readable; with JSON logs
// one `ready` line with the same facts as fields, so log readers are not handed free text.
import type { Logger } from "../logger.js";
import { resolveLogFormat } from "../logger.js";

export interface BannerInfo {
  version: string;
  /** What is watched, e.g. `node "vm" on regtest (~/.bitcoin): ipc, rpc, p2p`, or what is replayed. */
  watching: string;
  /** True when the events come from a recording (the demo, or `replay`). */
  replay: boolean;
  /** One more line under what is watched, e.g. why this is a demo. */
  note?: string;
  pageUrl?: string;
  metricsUrl?: string;
  /** How it ends: e.g. "Ctrl-C", or "after 10 s (--duration), or Ctrl-C". */
  stop: string;
}

/** The banner's lines (without colour), for a terminal. */
export function bannerLines(b: BannerInfo): string[] {
  const rows: [string, string][] = [
    [b.replay ? "replaying" : "watching", b.watching],
    ...(b.note ? [["", b.note] as [string, string]] : []),
    ["live page", b.pageUrl ?? "off (--web 127.0.0.1:9433 turns it on)"],
    ["metrics", b.metricsUrl ?? "off"],
    ["stop", b.stop],
  ];
  const title = `peerwatch ${b.version}${b.replay ? " — REPLAY of a recording, not a live node" : ""}`;
  const width = Math.max(title.length, ...rows.map(([, v]) => 13 + v.length));
  const rule = "─".repeat(Math.min(width, 100));
  return [rule, title, ...rows.map(([k, v]) => `  ${k.padEnd(11)}${v}`), rule];
}

/** Prints the banner: plain lines on stderr with pretty logs, one `ready` log line with JSON logs. */
export function showBanner(b: BannerInfo, log: Logger, format: "json" | "pretty" | undefined, out: NodeJS.WritableStream = process.stderr): void {
  if (resolveLogFormat(format) === "pretty") out.write(`\n${bannerLines(b).join("\n")}\n\n`);
  else
    log.info(
      { watching: b.watching, note: b.note, replay: b.replay, page: b.pageUrl ?? null, metrics: b.metricsUrl ?? null, stop: b.stop },
      `ready: ${b.pageUrl ? `live page at ${b.pageUrl}, ` : ""}${b.metricsUrl ? `metrics at ${b.metricsUrl}` : "metrics off"}`,
    );
}

/** "Ctrl-C", or with --duration when it stops by itself. */
export function stopHint(durationSeconds: number | undefined): string {
  return durationSeconds ? `after ${durationSeconds} s (--duration), or Ctrl-C` : "Ctrl-C (SIGINT or SIGTERM stop cleanly)";
}
