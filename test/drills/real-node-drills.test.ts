// Fault drills against a real Bitcoin Core (runs when BITCOIN_NODE and BITCOIN_CLI point at a
// bitcoin-node built with IPC and USDT; eBPF only as root with bpftrace): the node is SIGKILLed and
// started again on the same datadir (a new PID, a new cookie, a stale socket and PID file left
// behind) while `peerwatch observe` runs under each source alone and under all of them at once.
// Each source must say down with the reason, come back by itself (peerwatch is not restarted),
// carry events again, and peerwatch must exit 0 at --duration without a warning.
// Then the same for bpftrace: killed under the eBPF source, restarted by it with backoff.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PeerwatchEvent } from "../../src/events/index.js";
import { bpftraceAvailable } from "../helpers/build-fixtures.js";
import { LiveCli } from "../helpers/cli.js";
import { childProcesses, detailOf, processWarnings, statusIs } from "../helpers/drill.js";
import { metricsUrl, seriesValue } from "../helpers/live-metrics.js";
import { RealNode, realNodeBinaries } from "../helpers/real-node.js";
import { reportSkip } from "../helpers/skip.js";

const bins = realNodeBinaries("bitcoin-node");
const bt = bpftraceAvailable();
const TITLE = "fault drill: a real node killed and restarted under each source";
const BPF_TITLE = "fault drill: bpftrace killed under the eBPF source, on a real node";

type SourceName = "ipc" | "ebpf" | "rpc" | "p2p" | "proc" | "log";
const SOURCES: SourceName[] = ["ipc", "ebpf", "rpc", "p2p", "proc", "log"].filter((s) => s !== "ebpf" || !("skip" in bt)) as SourceName[];
/** Long enough for the whole drill on 2 busy cores (it takes ~20 s idle); every observer is checked to exit 0 then. */
const DURATION_S = 90;

/** What each source says when the node is gone, and an event that shows it works again after the restart. */
const EXPECT: Record<SourceName, { down: RegExp | undefined; flows: (e: PeerwatchEvent, height: number, pid: number) => boolean }> = {
  ipc: { down: /IPC connection lost/, flows: (e, h) => e.type === "tip.changed" && e.data.height === h },
  ebpf: { down: /bpftrace on PID \d+ ended: the node process is gone/, flows: (e, h) => e.type === "block.connected" && e.data.height === h },
  rpc: {
    down: /connection refused by http:\/\/127\.0\.0\.1:\d+|ECONNRESET/,
    flows: (e, h) => e.type === "rpc.snapshot" && e.data.method === "getblockchaininfo" && (e.data.result as { blocks: number }).blocks === h,
  },
  p2p: { down: /^127\.0\.0\.1:\d+: (the node closed the connection|socket error)/, flows: (e) => e.type === "ping.rtt" },
  proc: { down: /the node process is gone/, flows: (e, _h, pid) => e.type === "threads.snapshot" && e.data.pid === pid },
  // The log is a file a killed node leaves as it was: the source sees the node go by its PID
  // (a kill writes no shutdown line) and comes back with the new node's PID or startup line.
  log: { down: /^the node (is gone: no process with PID \d+|shut down|is shutting down)/, flows: (e, h) => e.type === "tip.changed" && e.data.height === h },
};

function observeArgs(node: RealNode, sources: string, name: string): string[] {
  return [
    "observe",
    "--chain",
    "regtest",
    "--datadir",
    node.datadir,
    "--sources",
    sources,
    "--node-name",
    name,
    "--rpc-url",
    `http://127.0.0.1:${node.rpcPort}`,
    "--rpc-interval",
    "1",
    "--p2p",
    `127.0.0.1:${node.p2pPort}`,
    "--ping-interval",
    "5",
    "--proc-interval",
    "1",
    "--log-state",
    "off",
    "--events",
    "-",
    "--metrics",
    "127.0.0.1:0",
    "--duration",
    String(DURATION_S),
  ];
}

interface Run {
  sources: SourceName[];
  cli: LiveCli;
  /** Event indexes at the kill and at the restart. */
  atKill: number;
  atRestart: number;
}

/** Waits (bounded) for every source of a run to reach the state; resolves either way, the tests say which did not. */
function allReach(run: Run, state: "up" | "down", from: number, ms: number, sources = run.sources): Promise<unknown> {
  return Promise.allSettled(sources.map((s) => run.cli.waitFor(statusIs(s, state), ms, from)));
}

describe.skipIf("skip" in bins)(TITLE, () => {
  let node: RealNode;
  const runs = new Map<string, Run>();
  let oldPid = 0;
  let newPid = 0;
  let height = 0;
  const timing: Record<string, number> = {};

  beforeAll(async () => {
    const b = bins as { node: string; cli: string };
    node = new RealNode(b.node, b.cli);
    await node.start();
    oldPid = node.pid!;
    const t0 = Date.now();
    // One observer per source, and one with all of them, all on the same node and the same kill.
    for (const s of SOURCES) runs.set(s, { sources: [s], cli: new LiveCli(observeArgs(node, s, `drill-${s}`)), atKill: 0, atRestart: 0 });
    runs.set("all", { sources: SOURCES, cli: new LiveCli(observeArgs(node, SOURCES.join(","), "drill-all")), atKill: 0, atRestart: 0 });
    await Promise.all([...runs.values()].map((r) => allReach(r, "up", 0, 120_000)));
    timing.allUpMs = Date.now() - t0;

    for (const r of runs.values()) r.atKill = r.cli.events.length;
    const tKill = Date.now();
    await node.kill();
    await Promise.all(
      [...runs.values()].map((r) =>
        allReach(
          r,
          "down",
          r.atKill,
          60_000,
          r.sources.filter((s) => EXPECT[s].down),
        ),
      ),
    );
    timing.allDownMs = Date.now() - tKill;

    for (const r of runs.values()) r.atRestart = r.cli.events.length;
    const tRestart = Date.now();
    await node.start();
    newPid = node.pid!;
    timing.nodeStartMs = Date.now() - tRestart;
    await Promise.all(
      [...runs.values()].map((r) =>
        allReach(
          r,
          "up",
          r.atRestart,
          120_000,
          r.sources.filter((s) => EXPECT[s].down),
        ),
      ),
    );
    timing.allUpAgainMs = Date.now() - tRestart;
    // A new block, for the sources that report blocks.
    await node.mine(1);
    height = Number(await node.cli("getblockcount"));
    console.log(`real-node drill timings (ms): ${JSON.stringify(timing)}`);
    const all = runs.get("all")!;
    const t = all.cli.events[0]!.ts;
    const line = (e: PeerwatchEvent) => `+${((e.ts - t) / 1e6).toFixed(1)} s ${e.source} ${(e.data as { state: string }).state}: ${detailOf(e)}`;
    console.log(
      `all sources, status after the kill:\n${all.cli.events
        .slice(all.atKill)
        .filter((e) => e.type === "source.status")
        .map(line)
        .join("\n")}`,
    );
  }, 400_000);

  afterAll(async () => {
    await Promise.all([...runs.values()].map((r) => r.cli.stop()));
    await node?.stop();
  });

  for (const name of [...SOURCES, "all"]) {
    it(`${name === "all" ? `all sources at once (${SOURCES.join(",")})` : `--sources ${name}`}: down with the reason, up again without a restart of ` +
      `peerwatch, events again, one restart counted`, async () => {
      const run = runs.get(name)!;
      const { cli } = run;
      expect(newPid).not.toBe(oldPid);
      const url = await metricsUrl(cli);
      for (const s of run.sources) {
        const exp = EXPECT[s];
        const downs = cli.events.slice(run.atKill, run.atRestart).filter(statusIs(s, "down"));
        if (exp.down) {
          expect(
            downs.length,
            `${s}: no down after the kill; events: ${JSON.stringify(cli.events.slice(run.atKill).filter((e) => e.type === "source.status"))}`,
          ).toBeGreaterThan(0);
          expect(detailOf(downs[0]!), s).toMatch(exp.down);
        } else {
          expect(downs.map(detailOf), `${s} stays up while its file stays`).toEqual([]);
          // … and tells the restart from the new node's startup line.
          await cli.waitFor((e) => e.source === s && e.type === "node.info", 30_000, run.atRestart);
        }
        // A source that went down must say up again; the log source never left up.
        const upAt = exp.down ? cli.events.indexOf(await cli.waitFor(statusIs(s, "up"), 60_000, run.atRestart)) : run.atRestart;
        await cli.waitFor((e) => e.source === s && exp.flows(e, height, newPid), 60_000, upAt);
      }
      // The same process all along: the restarts are counted by it, once per source that went down.
      const text = await (await fetch(url)).text();
      for (const s of run.sources) expect(seriesValue(text, `peerwatch_source_restarts_total{source="${s}"}`) ?? 0, s).toBe(EXPECT[s].down ? 1 : 0);
      expect(cli.child.exitCode, "still the first peerwatch process").toBeNull();
    }, 120_000);
  }

  it(
    "every observer exits 0 at --duration, each source's last word 'stopped', no process warning",
    async () => {
      for (const [name, run] of runs) {
        expect(await run.cli.exited, name).toBe(0);
        for (const s of run.sources)
          expect(detailOf(run.cli.events.filter((e) => e.type === "source.status" && e.data.source === s).at(-1)!), `${name}: ${s}`).toBe("stopped");
        expect(processWarnings(run.cli.stderr), name).toEqual([]);
      }
    },
    (DURATION_S + 60) * 1000,
  );
});

if ("skip" in bins) reportSkip(TITLE, bins.skip);
else if ("skip" in bt) reportSkip(`${TITLE}: eBPF`, bt.skip);

describe.skipIf("skip" in bins || "skip" in bt)(BPF_TITLE, () => {
  let node: RealNode;
  let cli: LiveCli;
  beforeAll(async () => {
    const b = bins as { node: string; cli: string };
    node = new RealNode(b.node, b.cli);
    await node.start();
  });
  afterAll(async () => {
    await cli?.stop();
    await node?.stop();
  });

  it("says down with the reason, restarts bpftrace with backoff, up again, events again, counted as a restart", async () => {
    cli = new LiveCli(["observe", "--chain", "regtest", "--datadir", node.datadir, "--sources", "ebpf", "--events", "-", "--metrics", "127.0.0.1:0"]);
    const url = await metricsUrl(cli);
    await cli.waitFor(statusIs("ebpf", "up"), 120_000);
    const first = childProcesses(cli.child.pid!).filter((c) => c.comm === "bpftrace");
    expect(first, "one bpftrace child of peerwatch").toHaveLength(1);
    const from = cli.events.length;
    const t0 = Date.now();
    process.kill(first[0]!.pid, "SIGKILL");
    const down = await cli.waitFor(statusIs("ebpf", "down"), 30_000, from);
    expect(detailOf(down)).toMatch(new RegExp(`bpftrace on PID ${node.pid} ended: bpftrace exited \\(SIGKILL\\)`));
    const up = await cli.waitFor(statusIs("ebpf", "up"), 60_000, from);
    const upMs = Date.now() - t0;
    const second = childProcesses(cli.child.pid!).filter((c) => c.comm === "bpftrace");
    expect(second).toHaveLength(1);
    expect(second[0]!.pid).not.toBe(first[0]!.pid);
    const [hash] = await node.mine(1);
    const block = await cli.waitFor((e) => e.type === "block.connected", 30_000, cli.events.indexOf(up));
    expect(block.data).toMatchObject({ hash });
    expect(seriesValue(await (await fetch(url)).text(), 'peerwatch_source_restarts_total{source="ebpf"}')).toBe(1);
    console.log(`bpftrace killed on a real node: up again after ${upMs} ms`);
    expect(await cli.stop()).toBe(0);
    expect(processWarnings(cli.stderr)).toEqual([]);
  }, 240_000);
});

const bpfSkip = "skip" in bins ? bins.skip : "skip" in bt ? bt.skip : undefined;
if (bpfSkip) reportSkip(BPF_TITLE, bpfSkip);
