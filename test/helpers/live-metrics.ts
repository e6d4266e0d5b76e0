// `peerwatch observe --metrics 127.0.0.1:0` started as a user would, and its /metrics read over HTTP.
import http from "node:http";
import { expect } from "vitest";
import { LiveCli } from "./cli.js";
import { until } from "./wait.js";

/** Starts the CLI with `args` (which must ask for --metrics 127.0.0.1:0) and waits until the proc source reported. */
export async function observeWithMetrics(args: string[]): Promise<{ cli: LiveCli; scrape: () => Promise<string> }> {
  const cli = new LiveCli(args);
  await cli.waitFor((e) => e.type === "source.status" && e.data.source === "proc");
  const m = /metrics at http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(cli.stderr);
  expect(m, cli.stderr).not.toBeNull();
  const scrape = () =>
    new Promise<string>((resolve, reject) => {
      http
        .get(`http://127.0.0.1:${m![1]}/metrics`, (res) => {
          let b = "";
          res.on("data", (d: Buffer) => (b += d.toString()));
          res.on("end", () => resolve(b));
        })
        .on("error", reject);
    });
  return { cli, scrape };
}

/** The /metrics URL a CLI announced in its log. */
export async function metricsUrl(cli: LiveCli): Promise<string> {
  await until(() => /metrics at (http:\/\/[^\s"]+)/.test(cli.stderr), 15000);
  return /metrics at (http:\/\/[^\s"]+)/.exec(cli.stderr)![1]!;
}

/**
 * The event-driven families of a /metrics page. Left out: process figures, queue depths and the tip's
 * age in wall-clock seconds since it was seen, which differ between any two runs by nature; alert
 * series keep their labels (which alert, which peer) but not their value, the wall clock at raising.
 */
export function eventMetrics(text: string): string[] {
  const skip = /^peerwatch_(process_|nodejs_|bus_queue_events|tip_age_seconds)/;
  return text
    .split("\n")
    .filter((l) => {
      const name = l.startsWith("#") ? (l.split(" ")[2] ?? "") : l.split(/[{ ]/)[0]!;
      return name.startsWith("peerwatch_") && !skip.test(name);
    })
    .map((l) => (l.startsWith("peerwatch_alert_last_raised_timestamp_seconds{") ? l.replace(/ [^ ]+$/, " <time>") : l));
}

/** The value of one series (name and labels, as printed) in exposition text, or undefined. */
export function seriesValue(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
