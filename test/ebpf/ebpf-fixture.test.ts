// The eBPF source with real bpftrace attached to the USDT fixture, end to end through the CLI.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { PeerwatchEvent } from "../../src/events/index.js";
import { LiveCli } from "../helpers/cli.js";
import { UsdtFixture, ebpfTestSetup } from "../helpers/usdt-fixture.js";
import { FIXTURE_EVENTS } from "./fixture-expected.js";
import { reportSkip } from "../helpers/skip.js";

const setup = ebpfTestSetup();
const skip = "skip" in setup;
const ALL = "net,connections,mempool,validation,utxocache";
const isStatus = (state: string) => (e: PeerwatchEvent) => e.type === "source.status" && e.data.state === state;

let fixture: UsdtFixture | undefined;
let cli: LiveCli | undefined;
afterEach(async () => {
  await cli?.stop();
  await fixture?.quit();
  cli = undefined;
  fixture = undefined;
});

async function observe(args: string[]): Promise<LiveCli> {
  const c = new LiveCli(["observe", "--sources", "ebpf", "--bitcoin-node-bin", (setup as { path: string }).path, "--events", "-", "--metrics", "off", ...args]);
  cli = c;
  return c;
}

const sortKey = (x: unknown) => JSON.stringify(x);

describe.skipIf(skip)("eBPF source on the USDT fixture (real bpftrace)", () => {
  it("emits every event type with every field right", async () => {
    fixture = new UsdtFixture((setup as { path: string }).path);
    const pid = await fixture.start();
    const c = await observe(["--pid", String(pid), "--ebpf-groups", ALL]);
    const up = await c.waitFor(isStatus("up"), 60_000);
    expect((up.data as { detail: string }).detail).toMatch(new RegExp(`attached \\d+ probes to .*usdt-fixture PID ${pid}`));
    await fixture.send("all");
    await c.waitFor((e) => e.type === "utxocache.flush", 10_000);
    const got = c.events.filter((e) => e.source === "ebpf" && e.type !== "source.status").map((e) => ({ type: e.type, data: e.data }));
    expect(got.map(sortKey).sort()).toEqual(FIXTURE_EVENTS.map(sortKey).sort());
  });

  it("captures up to --payload-bytes and marks longer payloads truncated", async () => {
    fixture = new UsdtFixture((setup as { path: string }).path);
    const pid = await fixture.start();
    const c = await observe(["--pid", String(pid), "--ebpf-groups", "net", "--payload-bytes", "128"]);
    await c.waitFor(isStatus("up"), 60_000);
    await fixture.send("all");
    const long = await c.waitFor((e) => e.type === "net.message" && e.data.msgType === "addrv2", 10_000);
    expect(long.data).toMatchObject({ size: 30003, truncated: true });
    expect((long.data as { payloadHex: string }).payloadHex).toHaveLength(256);
  });

  it("captures a version message whole at the default --payload-bytes, so its user agent is decoded; other types keep the prefix", async () => {
    fixture = new UsdtFixture((setup as { path: string }).path);
    const pid = await fixture.start();
    const c = await observe(["--pid", String(pid), "--ebpf-groups", "net"]);
    await c.waitFor(isStatus("up"), 60_000);
    await fixture.send("version");
    const v = await c.waitFor((e) => e.type === "net.message" && e.data.msgType === "version", 10_000);
    expect(v.data).toMatchObject({
      size: 117,
      truncated: false,
      decoded: { version: { version: 70016, services: "0000000000000409", userAgent: "/Satoshi:27.1.0/Knots:20240801/", startHeight: 840000, relay: true } },
    });
    // A type that only starts like "version" is not taken for one: the 64-byte default prefix.
    const x = await c.waitFor((e) => e.type === "net.message" && e.data.msgType === "versionx", 10_000);
    expect(x.data).toMatchObject({ size: 117, truncated: true });
    expect((x.data as { payloadHex: string }).payloadHex).toHaveLength(128);
  });

  it("reports what bpftrace loses in a burst as events.dropped, so nothing is lost silently", async () => {
    fixture = new UsdtFixture((setup as { path: string }).path);
    const pid = await fixture.start();
    const c = await observe(["--pid", String(pid), "--ebpf-groups", "net"]);
    await c.waitFor(isStatus("up"), 60_000);
    const N = 300_000;
    await fixture.send(`burst ${N}`);
    // The kernel reports a perf buffer's loss only with the next sample on that CPU: one more
    // event per CPU brings the loss at the end of the burst to light (a live node keeps firing).
    await new Promise((r) => setTimeout(r, 500));
    const flushed = Number(await fixture.send("flush"));
    await c.waitFor((e) => e.type === "events.dropped", 15_000);
    // Wait until the counts stop moving (loss reports come once a second).
    let before = -1;
    while (before !== c.events.length) {
      before = c.events.length;
      await new Promise((r) => setTimeout(r, 1500));
    }
    const seen = c.events.filter((e) => e.type === "net.message").length;
    const droppedBy = (pred: (source: string) => boolean) =>
      c.events.reduce((n, e) => n + (e.type === "events.dropped" && pred(e.data.source) ? e.data.count : 0), 0);
    // lost by bpftrace, and (if stdout could not keep up) by peerwatch's own bounded queues
    const dropped = droppedBy(() => true);
    expect(droppedBy((s) => s === "ebpf")).toBeGreaterThan(0);
    // everything fired is either an event or counted as lost
    expect(seen + dropped).toBe(N + flushed);
  });

  it("follows the node to a new PID after a restart (PID file), saying down then up", async () => {
    const datadir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-ebpf-"));
    fs.mkdirSync(path.join(datadir, "regtest"));
    const pidFile = path.join(datadir, "regtest", "bitcoind.pid");
    fixture = new UsdtFixture((setup as { path: string }).path);
    fs.writeFileSync(pidFile, `${await fixture.start()}\n`);
    const c = await observe(["--chain", "regtest", "--datadir", datadir, "--ebpf-groups", "net"]);
    await c.waitFor(isStatus("up"), 60_000);
    const from = c.events.length;
    await fixture.quit();
    const down = await c.waitFor(isStatus("down"), 15_000, from);
    expect((down.data as { detail: string }).detail).toMatch(/ended|not running/);
    const newPid = await fixture.start();
    fs.writeFileSync(pidFile, `${newPid}\n`);
    const up = await c.waitFor(isStatus("up"), 90_000, from);
    expect((up.data as { detail: string }).detail).toContain(`PID ${newPid}`);
    await fixture.send("all");
    await c.waitFor((e) => e.type === "net.message" && e.data.msgType === "ping", 10_000, from);
  });

  it("says in plain words when the binary has no tracepoints", async () => {
    fixture = new UsdtFixture((setup as { path: string }).path);
    const pid = await fixture.start();
    const c = new LiveCli(["observe", "--sources", "ebpf", "--bitcoin-node-bin", "/bin/sleep", "--pid", String(pid), "--events", "-", "--metrics", "off"]);
    cli = c;
    const down = await c.waitFor(isStatus("down"), 60_000);
    expect((down.data as { detail: string }).detail).toMatch(/could not attach|bpftrace exited/);
  });
});

if (skip) reportSkip("eBPF source on the USDT fixture (real bpftrace)", (setup as { skip: string }).skip);
