// Runs one soak, whatever stands behind it (a real node or the stand-ins): `peerwatch observe` on
// the target's sources for --duration seconds while the target makes traffic, /metrics scraped
// every 5 s as Prometheus would, RSS read from /proc every second until the stop; then the shared
// verdict (soak-check.ts) and its summary.
import fs from "node:fs";
import { LiveCli } from "../helpers/cli.js";
import { metricsUrl } from "../helpers/live-metrics.js";
import { checkSoak, formatVerdict, type RssSample, type SoakOutcome, type SoakVerdict } from "./soak-check.js";

/** What a soak runs against: its sources, the observe flags that reach them, and its traffic. */
export interface SoakTarget {
  sources: string[];
  /** observe flags pointing the sources at the node (not --sources, --duration, --events, --metrics). */
  args: string[];
  /** Why some source is left out (e.g. eBPF without root), for the summary. */
  notes: string[];
  /** Makes traffic until the given time (ms since the epoch); never throws (errors are counted). */
  traffic(stopAt: number): Promise<void>;
  /** Rounds of traffic made so far. */
  rounds(): number;
  /** Summary lines about the traffic. */
  trafficLines(): string[];
  stop(): Promise<void>;
}

/**
 * The young generation held at V8's smallest size (1 MiB semi-spaces). Left alone, V8 grows it to
 * 16 MiB semi-spaces over the first tens of seconds of allocation and gives it back at a full GC:
 * up to ~30 MiB of RSS that is bounded and no leak, but all that a short soak's RSS check would
 * see (20 s and 30 s soaks on the stand-ins failed at +10.7 % and +11.8 % so). Held, RSS growth is
 * what the code keeps.
 */
const SOAK_NODE_OPTIONS = ["--max-semi-space-size=1"];

export interface SoakOptions {
  duration: number;
  /** More NODE_OPTIONS for the observe process (the warning drill --requires a file). */
  nodeOptions?: string[];
  /** Runs beside the traffic from the start (the flap drill waits for a source, then restarts its stand-in). */
  drill?: (cli: LiveCli) => Promise<void>;
}

export interface SoakResult {
  outcome: SoakOutcome;
  verdict: SoakVerdict;
  summary: string;
}

function rssKiB(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Scrapes /metrics every 5 s until observe ends; resolves with the number of good scrapes. */
async function scrapeEvery5s(cli: LiveCli): Promise<number> {
  const running = () => cli.child.exitCode === null && cli.child.signalCode === null;
  let ok = 0;
  const url = await metricsUrl(cli).catch(() => undefined);
  while (url && running()) {
    // a scrape cut off by the stop at --duration is not counted, nor is it a failure
    const body = await fetch(url).then(
      (r) => (r.ok ? r.text() : undefined),
      () => undefined,
    );
    if (body?.includes("peerwatch_")) ok++;
    await new Promise((r) => setTimeout(r, 5000));
  }
  return ok;
}

export async function runSoak(target: SoakTarget, o: SoakOptions): Promise<SoakResult> {
  const args = [
    "observe",
    "--sources",
    target.sources.join(","),
    ...target.args,
    "--events",
    "-",
    "--metrics",
    "127.0.0.1:0",
    "--log-format",
    "json",
    "--duration",
    String(o.duration),
  ];
  console.log(`soak: ${o.duration} s, sources ${target.sources.join(",")}${target.notes.map((n) => `; ${n}`).join("")}`);
  const cli = new LiveCli(args, { NODE_OPTIONS: [...SOAK_NODE_OPTIONS, ...(o.nodeOptions ?? [])].join(" ") });
  const started = Date.now();
  const rss: RssSample[] = [];
  const sampler = setInterval(() => {
    const t = (Date.now() - started) / 1000;
    // the stop at --duration (flushing, closing) is not the steady state the RSS check is about
    const kib = cli.child.pid === undefined || t > o.duration ? undefined : rssKiB(cli.child.pid);
    if (kib !== undefined) rss.push({ t, kib });
  }, 1000);
  const load = target.traffic(started + o.duration * 1000 - 2000);
  const scrapes = scrapeEvery5s(cli);
  // caught at once (an error here must not be an unhandled rejection), thrown once observe has ended
  const drill = o.drill?.(cli).then(
    () => undefined,
    (e: unknown) => e,
  );
  const killTimer = setTimeout(() => cli.child.kill("SIGKILL"), (o.duration + 60) * 1000);
  const code = await cli.exited;
  clearTimeout(killTimer);
  clearInterval(sampler);
  await load;
  const scraped = await scrapes;
  const drillError = await drill;
  if (drillError) throw drillError;

  const outcome: SoakOutcome = {
    started,
    exit: { code, signal: cli.child.signalCode },
    events: cli.events,
    output: cli.stderr,
    rss,
    sources: target.sources,
    trafficRounds: target.rounds(),
  };
  const verdict = checkSoak(outcome);
  const trafficLines = [...target.notes.map((n) => `note            ${n}`), ...target.trafficLines(), `metrics         ${scraped} scrapes of /metrics`];
  return { outcome, verdict, summary: formatVerdict(outcome, verdict, o.duration, trafficLines) };
}
