// Fault drill in CI (as root with bpftrace): bpftrace, peerwatch's child under the eBPF source, is
// SIGKILLed while the traced process (the USDT fixture) lives on. The source must say down with
// the reason, start bpftrace again after its backoff, say up, carry events again, and count the
// restart in peerwatch_source_restarts_total.
import { afterEach, describe, expect, it } from "vitest";
import { LiveCli } from "../helpers/cli.js";
import { childProcesses, detailOf, processWarnings, repeatOutages, RESTARTS, statusIs } from "../helpers/drill.js";
import { metricsUrl, seriesValue } from "../helpers/live-metrics.js";
import { reportSkip } from "../helpers/skip.js";
import { UsdtFixture, ebpfTestSetup } from "../helpers/usdt-fixture.js";

const setup = ebpfTestSetup();
const TITLE = "fault drill: bpftrace killed under the eBPF source (USDT fixture)";

let fixture: UsdtFixture | undefined;
let cli: LiveCli | undefined;
afterEach(async () => {
  await cli?.stop();
  await fixture?.quit();
});

const bpftraceChildren = (c: LiveCli) => childProcesses(c.child.pid!).filter((p) => p.comm === "bpftrace");

describe.skipIf("skip" in setup)(TITLE, () => {
  it(`says down with the reason, starts bpftrace again after the backoff, up, events again, each restart counted; ${RESTARTS} times`, async () => {
    const bin = (setup as { path: string }).path;
    fixture = new UsdtFixture(bin);
    const pid = await fixture.start();
    cli = new LiveCli([
      "observe",
      "--sources",
      "ebpf",
      "--bitcoin-node-bin",
      bin,
      "--pid",
      String(pid),
      "--ebpf-groups",
      "net",
      "--events",
      "-",
      "--metrics",
      "127.0.0.1:0",
    ]);
    const url = await metricsUrl(cli);
    await cli.waitFor(statusIs("ebpf", "up"), 60_000);
    const first = bpftraceChildren(cli);
    expect(first, "one bpftrace child of peerwatch").toHaveLength(1);

    const from = cli.events.length;
    process.kill(first[0]!.pid, "SIGKILL");
    const down = await cli.waitFor(statusIs("ebpf", "down"), 15_000, from);
    expect(detailOf(down)).toBe(`bpftrace on PID ${pid} ended: bpftrace exited (SIGKILL)`);
    const up = await cli.waitFor(statusIs("ebpf", "up"), 60_000, from);
    expect(detailOf(up)).toContain(`PID ${pid}`);
    // The backoff after a run that had attached is its minimum, 1 s, before bpftrace starts again.
    expect((up.ts - down.ts) / 1000).toBeGreaterThanOrEqual(1000);
    const second = bpftraceChildren(cli);
    expect(second).toHaveLength(1);
    expect(second[0]!.pid).not.toBe(first[0]!.pid);

    await fixture.send("all");
    await cli.waitFor((e) => e.type === "net.message" && e.data.msgType === "ping", 15_000, cli.events.indexOf(up));
    expect(seriesValue(await (await fetch(url)).text(), 'peerwatch_source_restarts_total{source="ebpf"}')).toBe(1);

    // And again, RESTARTS - 1 times: nothing left behind per bpftrace run (no listener warning below).
    await repeatOutages(
      cli,
      "ebpf",
      RESTARTS - 1,
      async () => void process.kill(bpftraceChildren(cli!)[0]!.pid, "SIGKILL"),
      async () => {},
    );
    const last = cli.events.length;
    await fixture.send("all");
    await cli.waitFor((e) => e.type === "net.message" && e.data.msgType === "ping", 15_000, last);
    expect(seriesValue(await (await fetch(url)).text(), 'peerwatch_source_restarts_total{source="ebpf"}')).toBe(RESTARTS);

    expect(await cli.stop()).toBe(0);
    expect(processWarnings(cli.stderr)).toEqual([]);
  }, 180_000);
});

if ("skip" in setup) reportSkip(TITLE, setup.skip);
