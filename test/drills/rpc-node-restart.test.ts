// Fault drill in CI: the node behind the RPC source goes away (its HTTP port refuses connections)
// and comes back on the same port with a new cookie, as bitcoind does at every start. The RPC
// source must say down with the reason and up again by itself, without a restart of peerwatch.
import { afterEach, describe, expect, it } from "vitest";
import { LiveCli } from "../helpers/cli.js";
import { detailOf, processWarnings, repeatOutages, RESTARTS, statusIs } from "../helpers/drill.js";
import { metricsUrl, seriesValue } from "../helpers/live-metrics.js";
import { observeRpc, StubBitcoind } from "../helpers/stub-bitcoind.js";

let stub: StubBitcoind | undefined;
let cli: LiveCli | undefined;
afterEach(async () => {
  await cli?.stop();
  await stub?.stop();
});

describe("fault drill: the node behind the RPC source stops and starts again", () => {
  it(`says down (connection refused), then up with the new cookie, snapshots again, each restart counted; ${RESTARTS} times`, async () => {
    stub = new StubBitcoind();
    await stub.start();
    const port = Number(new URL(stub.url).port);
    cli = new LiveCli(observeRpc(stub, "--rpc-interval", "0.3", "--rpc-slow-interval", "60", "--events", "-", "--metrics", "127.0.0.1:0"));
    const url = await metricsUrl(cli);
    await cli.waitFor(statusIs("rpc", "up"), 30_000);

    const from = cli.events.length;
    await stub.stop();
    const down = await cli.waitFor(statusIs("rpc", "down"), 15_000, from);
    // The calls in flight break (ECONNRESET), the next ones are refused.
    expect(detailOf(down)).toContain(`http://127.0.0.1:${port}`);
    expect(detailOf(down)).toMatch(/connection refused|ECONNRESET|UND_ERR_SOCKET/);
    // Back on the same port, with a new cookie: the old credentials are refused until it is read again.
    const oldSecret = stub.secret;
    stub.rotateCookie();
    await stub.start(port);
    const up = await cli.waitFor(statusIs("rpc", "up"), 30_000, from);
    const upAt = cli.events.indexOf(up);
    await cli.waitFor((e) => e.type === "peers.snapshot", 15_000, upAt);
    await cli.waitFor((e) => e.type === "rpc.snapshot" && e.data.method === "getblockchaininfo", 15_000, upAt);
    expect(seriesValue(await (await fetch(url)).text(), 'peerwatch_source_restarts_total{source="rpc"}')).toBe(1);

    // And again, RESTARTS - 1 times: nothing left behind per outage (no listener warning below).
    await repeatOutages(
      cli,
      "rpc",
      RESTARTS - 1,
      () => stub!.stop(),
      async () => {
        stub!.rotateCookie();
        await stub!.start(port);
      },
    );
    const last = cli.events.length;
    await cli.waitFor((e) => e.type === "peers.snapshot", 15_000, last);
    expect(seriesValue(await (await fetch(url)).text(), 'peerwatch_source_restarts_total{source="rpc"}')).toBe(RESTARTS);

    expect(await cli.stop()).toBe(0);
    expect(processWarnings(cli.stderr)).toEqual([]);
    expect(cli.stderr + JSON.stringify(cli.events)).not.toContain(oldSecret);
    expect(cli.stderr + JSON.stringify(cli.events)).not.toContain(stub.secret);
  }, 120_000);
});
