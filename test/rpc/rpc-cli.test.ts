// `peerwatch observe --sources rpc` end to end against the stub bitcoind.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LiveCli, runCli } from "../helpers/cli.js";
import { observeRpc, StubBitcoind } from "../helpers/stub-bitcoind.js";
import { until } from "../helpers/wait.js";

describe("peerwatch observe --sources rpc", () => {
  let stub: StubBitcoind;
  beforeAll(async () => {
    stub = new StubBitcoind();
    await stub.start();
  });
  afterAll(() => stub.stop());

  it("prints peers.snapshot and the other snapshots on their intervals", async () => {
    const cli = new LiveCli(
      observeRpc(stub, "--rpc-interval", "0.3", "--rpc-slow-interval", "60", "--events", "-", "--metrics", "off", "--log-level", "debug"),
    );
    await cli.waitFor((e) => e.type === "source.status" && e.data.state === "up");
    await new Promise((r) => setTimeout(r, 1000));
    await cli.stop();
    const count = (m: string) => cli.events.filter((e) => (e.type === "rpc.snapshot" ? e.data.method : e.type) === m).length;
    expect(count("peers.snapshot")).toBeGreaterThanOrEqual(3);
    expect(count("getmempoolinfo")).toBeGreaterThanOrEqual(3);
    expect(count("listbanned")).toBe(1); // slow interval
    expect(cli.stderr + JSON.stringify(cli.events)).not.toContain(stub.secret);
  });

  it("leaves out the methods given to --rpc-disable, and rejects unknown ones", async () => {
    const r = await runCli(observeRpc(stub, "--rpc-disable", "getpeerinfo, uptime", "--events", "-", "--metrics", "off", "--duration", "2"));
    expect(r.code, r.stderr).toBe(0);
    expect(r.events.some((e) => e.type === "rpc.snapshot" && e.data.method === "getmempoolinfo")).toBe(true);
    expect(r.events.some((e) => e.type === "peers.snapshot" || (e.type === "rpc.snapshot" && e.data.method === "uptime"))).toBe(false);
    const bad = await runCli(["observe", "--rpc-disable", "getpeerinf"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--rpc-disable: unknown method "getpeerinf"/);
  });

  it("says down, in words, when the credentials are wrong", async () => {
    const r = await runCli([
      "observe",
      "--sources",
      "rpc",
      "--rpc-url",
      stub.url,
      "--rpc-user",
      "alice",
      "--rpc-password",
      "not-the-password",
      "--events",
      "-",
      "--metrics",
      "off",
      "--duration",
      "3",
    ]);
    expect(r.code).toBe(0);
    const down = r.events.find((e) => e.type === "source.status" && e.data.state === "down");
    expect((down?.data as { detail: string } | undefined)?.detail).toMatch(/refused the credentials/);
    expect(r.stderr + r.stdout).not.toContain("not-the-password");
  });

  it("exits on time when the node answers late: stopping aborts the calls in flight", async () => {
    for (const m of ["getpeerinfo", "getmempoolinfo", "getnetworkinfo", "getnettotals", "uptime", "getblockchaininfo"]) stub.hang.add(m);
    const t0 = Date.now();
    const r = await runCli(
      observeRpc(
        stub,
        "--rpc-timeout",
        "60",
        "--rpc-slow-interval",
        "600",
        "--rpc-disable",
        "getmemoryinfo, getchaintxstats, getaddrmaninfo, getorphantxs, listbanned",
        "--events",
        "-",
        "--metrics",
        "off",
        "--duration",
        "1",
      ),
    );
    stub.hang.clear();
    expect(r.code, r.stderr).toBe(0);
    // A generous bound: the old client held the exit for the whole 60 s call.
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(r.events.at(-1)).toMatchObject({ type: "source.status", data: { source: "rpc", detail: "stopped" } });
    await until(() => stub.inFlight === 0);
  });
});
