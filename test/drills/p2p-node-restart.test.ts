// Fault drill in CI: the node the P2P pinger is connected to goes away (connections refused) and
// comes back on the same port. The pinger must say down with the reason, keep trying with backoff,
// and be up and timing pings again by itself, without a restart of peerwatch.
import { afterEach, describe, expect, it } from "vitest";
import { LiveCli } from "../helpers/cli.js";
import { detailOf, processWarnings, repeatOutages, RESTARTS, statusIs } from "../helpers/drill.js";
import { metricsUrl, seriesValue } from "../helpers/live-metrics.js";
import { ScriptedNode } from "../helpers/scripted-node.js";

let node: ScriptedNode | undefined;
let cli: LiveCli | undefined;
afterEach(async () => {
  await cli?.stop();
  await node?.close();
});

describe("fault drill: the node behind the P2P pinger stops and starts again", () => {
  it(`says down (closed, then refused), then up on the same port, pings again, each restart counted; ${RESTARTS} times`, async () => {
    node = new ScriptedNode();
    await node.listen();
    const port = node.port;
    cli = new LiveCli([
      "observe",
      "--sources",
      "p2p",
      "--chain",
      "regtest",
      "--p2p",
      `127.0.0.1:${port}`,
      "--ping-interval",
      "0.2",
      "--events",
      "-",
      "--metrics",
      "127.0.0.1:0",
    ]);
    const url = await metricsUrl(cli);
    await cli.waitFor(statusIs("p2p", "up"), 30_000);
    await cli.waitFor((e) => e.type === "ping.rtt", 15_000);

    const from = cli.events.length;
    await node.close();
    const down = await cli.waitFor(statusIs("p2p", "down"), 15_000, from);
    expect(detailOf(down)).toMatch(new RegExp(`^127\\.0\\.0\\.1:${port}: `));
    // While the node is away, each attempt is refused (said once: the reporter drops repeats).
    const refused = await cli.waitFor((e) => statusIs("p2p", "down")(e) && /ECONNREFUSED|refused/.test(detailOf(e)), 15_000, from);

    node = new ScriptedNode();
    await node.listen(port);
    const up = await cli.waitFor(statusIs("p2p", "up"), 60_000, cli.events.indexOf(refused));
    await cli.waitFor((e) => e.type === "ping.rtt", 15_000, cli.events.indexOf(up));
    expect(seriesValue(await (await fetch(url)).text(), 'peerwatch_source_restarts_total{source="p2p"}')).toBe(1);

    // And again, RESTARTS - 1 times: nothing left behind per outage (no listener warning below).
    await repeatOutages(
      cli,
      "p2p",
      RESTARTS - 1,
      () => node!.close(),
      async () => {
        node = new ScriptedNode();
        await node.listen(port);
      },
    );
    await cli.waitFor((e) => e.type === "ping.rtt", 15_000, cli.events.length);
    expect(seriesValue(await (await fetch(url)).text(), 'peerwatch_source_restarts_total{source="p2p"}')).toBe(RESTARTS);

    expect(await cli.stop()).toBe(0);
    expect(processWarnings(cli.stderr)).toEqual([]);
  }, 120_000);
});
