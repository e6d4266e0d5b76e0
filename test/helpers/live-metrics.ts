// `peerwatch observe --metrics 127.0.0.1:0` started as a user would, and its /metrics read over HTTP.
import http from "node:http";
import { expect } from "vitest";
import { LiveCli } from "./cli.js";

/** Starts the CLI with `args` (which must ask for --metrics 127.0.0.1:0) and waits until the proc source reported. */
export async function observeWithMetrics(args: string[]): Promise<{ cli: LiveCli; scrape: () => Promise<string> }> {
  const cli = new LiveCli(args);
  await cli.waitFor((e) => e.type === "source.status" && e.data.source === "proc");
  const m = /metrics at http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(cli.stderr);
  expect(m, cli.stderr).not.toBeNull();
  const scrape = () =>
    new Promise<string>((resolve, reject) => {
      http.get(`http://127.0.0.1:${m![1]}/metrics`, (res) => {
        let b = "";
        res.on("data", (d: Buffer) => (b += d.toString()));
        res.on("end", () => resolve(b));
      }).on("error", reject);
    });
  return { cli, scrape };
}
