// Fault drill in CI: the stand-in node behind the IPC source is SIGKILLed (its socket file left
// behind) and started again, many times in a row. test/ipc/ipc-cli.test.ts shows one such restart;
// here the point is that nothing is left behind per connection: twelve restarts, each counted, tip
// pushes after the last, and no listener warning.
import { afterEach, describe, expect, it } from "vitest";
import { LiveCli } from "../helpers/cli.js";
import { detailOf, processWarnings, repeatOutages, RESTARTS, statusIs } from "../helpers/drill.js";
import { metricsUrl, seriesValue } from "../helpers/live-metrics.js";
import { reportSkip } from "../helpers/skip.js";
import { Standin, standinBinary } from "../helpers/standin.js";

const bin = standinBinary();
const TITLE = "fault drill: the node behind the IPC source killed and restarted, many times";

let node: Standin | undefined;
let cli: LiveCli | undefined;
afterEach(async () => {
  await cli?.stop();
  await node?.stop();
});

describe.skipIf("skip" in bin)(TITLE, () => {
  it(`says down with the reason and up again, ${RESTARTS} times, each counted, tips pushed after the last`, async () => {
    node = new Standin((bin as { path: string }).path, ["--tracing"]);
    await node.start();
    cli = new LiveCli(["observe", "--sources", "ipc", "--ipc-socket", node.socket, "--events", "-", "--metrics", "127.0.0.1:0", "--rpc-interval", "0.5"]);
    const url = await metricsUrl(cli);
    await cli.waitFor(statusIs("ipc", "up"), 30_000);
    const from = cli.events.length;
    await repeatOutages(
      cli,
      "ipc",
      RESTARTS,
      () => node!.kill(),
      () => node!.start(),
    );
    const downs = cli.events.slice(from).filter(statusIs("ipc", "down")).map(detailOf);
    expect(downs.filter((d) => d.startsWith("IPC connection lost"))).toHaveLength(RESTARTS);
    // The poller's calls break with the connection: that is the same news, not a "degraded" first
    // (which made the up-to-down fall, and so the restart count, depend on which came first).
    expect(cli.events.slice(from).filter(statusIs("ipc", "degraded")).map(detailOf)).not.toContainEqual(expect.stringMatching(/^executeRpc: .*IPC connection/));
    expect(seriesValue(await (await fetch(url)).text(), 'peerwatch_source_restarts_total{source="ipc"}')).toBe(RESTARTS);

    const last = cli.events.length;
    await node.send(`tip 700 ${(700).toString(16).padStart(64, "0")}`);
    await cli.waitFor((e) => e.type === "tip.changed" && e.data.height === 700, 10_000, last);
    expect(await cli.stop()).toBe(0);
    expect(processWarnings(cli.stderr)).toEqual([]);
  }, 120_000);
});

if ("skip" in bin) reportSkip(TITLE, bin.skip);
