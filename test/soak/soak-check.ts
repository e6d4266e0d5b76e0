// The soak's verdict, one implementation for both modes (a real node, the stand-ins): from what an
// `observe` run left behind (its exit, its events, its stderr/stdout, RSS samples) it lists the
// failures: a source that never came up or flapped, a warning, a non-zero exit, RSS growth.
import type { PeerwatchEvent } from "../../src/events/index.js";
import { processWarnings } from "../helpers/drill.js";

/** The last third's RSS median may exceed the middle third's by this much. */
export const RSS_TOLERANCE = 0.1;

export interface RssSample {
  /** Seconds since observe started. */
  t: number;
  kib: number;
}

export interface SourceReport {
  wentUp: boolean;
  flaps: number;
  /** States in order, repeats folded; "stopped" is the clean stop. */
  states: string[];
  lastFlap?: string;
  state?: string;
  /** Seconds from observe's start to the first "up". */
  upAfter?: number;
}

export interface SoakOutcome {
  /** When observe was started (ms since the epoch). */
  started: number;
  /** observe's exit code, or the signal that ended it. */
  exit: { code: number | null; signal: NodeJS.Signals | null };
  events: PeerwatchEvent[];
  /** observe's stderr and stdout together. */
  output: string;
  rss: RssSample[];
  /** The sources asked for: each must come up. */
  sources: string[];
  /** How much traffic was made (0 fails the soak: nothing was exercised). */
  trafficRounds: number;
}

export interface SoakVerdict {
  failures: string[];
  status: Record<string, SourceReport>;
  warnings: string[];
  rss: { samples: number; middleKib: number; lastKib: number; ratio: number; peak: RssSample };
}

/** Status changes per source: down/degraded after "up", before the clean stop, is a flap (nothing is done to the node). */
export function statusReport(events: PeerwatchEvent[], expected: string[], startedMs = 0): Record<string, SourceReport> {
  const per: Record<string, SourceReport> = Object.fromEntries(expected.map((s) => [s, { wentUp: false, flaps: 0, states: [] }]));
  for (const e of events) {
    if (e.type !== "source.status") continue;
    const r = (per[e.data.source] ??= { wentUp: false, flaps: 0, states: [] });
    const last = r.state;
    r.state = e.data.state;
    const shown = e.data.detail === "stopped" ? "stopped" : e.data.state;
    if (r.states.at(-1) !== shown) r.states.push(shown);
    if (e.data.state === "up") {
      r.upAfter ??= Math.max(0, e.ts / 1000 - startedMs) / 1000;
      r.wentUp = true;
    }
    // "stopped" is the clean stop at --duration, as the metrics tool's restart counter sees it
    else if (r.wentUp && last === "up" && e.data.detail !== "stopped") {
      r.flaps++;
      r.lastFlap = `${e.data.state}: ${e.data.detail}`;
    }
  }
  return per;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The first third of the samples is warm-up; the last third's median against the middle third's (medians: one GC pause or burst does not decide it). */
export function rssTrend(rss: RssSample[]): SoakVerdict["rss"] {
  const third = Math.floor(rss.length / 3);
  const middleKib = third ? median(rss.slice(third, 2 * third).map((s) => s.kib)) : 0;
  const lastKib = third ? median(rss.slice(2 * third).map((s) => s.kib)) : 0;
  const peak = rss.reduce((p, s) => (s.kib > p.kib ? s : p), { t: 0, kib: 0 });
  return { samples: rss.length, middleKib, lastKib, ratio: middleKib ? lastKib / middleKib : Number.NaN, peak };
}

const mib = (kib: number) => (kib / 1024).toFixed(1);

export function checkSoak(o: SoakOutcome): SoakVerdict {
  const status = statusReport(o.events, o.sources, o.started);
  const warnings = processWarnings(o.output);
  const rss = rssTrend(o.rss);
  const failures: string[] = [];
  if (o.exit.code !== 0) failures.push(`observe exited with ${o.exit.code ?? o.exit.signal}, not 0`);
  for (const [s, r] of Object.entries(status)) {
    if (!r.wentUp) failures.push(`source ${s} never came up (states: ${r.states.join(" → ") || "none"})`);
    if (r.flaps > 0) failures.push(`source ${s} left "up" ${r.flaps} time(s) without cause (last: ${r.lastFlap})`);
  }
  if (warnings.length) failures.push(`${warnings.length} warning/error line(s), first: ${warnings[0]}`);
  if (rss.samples < 9) failures.push(`only ${rss.samples} RSS samples: run longer`);
  // Only growth fails: a drop is the collector handing back the start-up's garbage, which in a
  // short soak often lands in the middle third (a 20 s run on the stand-ins fell 20 % that way).
  else if (rss.ratio - 1 > RSS_TOLERANCE)
    failures.push(
      `RSS grew: last third median ${mib(rss.lastKib)} MiB is ${((rss.ratio - 1) * 100).toFixed(1)} % above the middle third's ${mib(rss.middleKib)} MiB ` +
        `(limit +${RSS_TOLERANCE * 100} %)`,
    );
  if (o.trafficRounds === 0) failures.push("no traffic was made");
  return { failures, status, warnings, rss };
}

/** The summary both modes print: their traffic lines, then the same events, sources, warnings, RSS and verdict. */
export function formatVerdict(o: SoakOutcome, v: SoakVerdict, duration: number, trafficLines: string[]): string {
  const byType: Record<string, number> = {};
  for (const e of o.events) byType[e.type] = (byType[e.type] ?? 0) + 1;
  const lines = ["soak summary", `  duration        ${duration} s, observe exit ${o.exit.code ?? o.exit.signal}`];
  for (const t of trafficLines) lines.push(`  ${t}`);
  lines.push(
    `  events          ${o.events.length} (${Object.entries(byType)
      .sort((x, y) => y[1] - x[1])
      .map(([k, n]) => `${k} ${n}`)
      .join(", ")})`,
  );
  for (const [s, r] of Object.entries(v.status))
    lines.push(
      `  source ${s.padEnd(8)} ${r.states.join(" → ") || "no status"}; flaps ` +
        `${r.flaps}${r.upAfter === undefined ? "" : `; up after ${r.upAfter.toFixed(1)} s`}`,
    );
  lines.push(`  warnings        ${v.warnings.length}`);
  const r = v.rss;
  lines.push(
    `  RSS             ${r.samples} samples; middle-third median ${mib(r.middleKib)} MiB, last-third median ${mib(r.lastKib)} MiB ` +
      `(${((r.ratio - 1) * 100).toFixed(1)} %), peak ${mib(r.peak.kib)} MiB at ${r.peak.t.toFixed(0)} s`,
  );
  lines.push(`  RSS by second   ${o.rss.map((x) => (x.kib / 1024).toFixed(0)).join(" ")} (MiB)`);
  lines.push(v.failures.length ? `\nFAIL\n${v.failures.map((f) => `  - ${f}`).join("\n")}` : "\nPASS");
  return lines.join("\n");
}
