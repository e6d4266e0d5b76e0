// The soak's checker (soak-check.ts) fails what it should: on made-up outcomes, and in a drill on
// the stand-ins where a stand-in is restarted mid-soak and the process prints a warning.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import type { PeerwatchEvent, SourceName } from "../../src/events/index.js";
import { ev } from "../helpers/events.js";
import { reportSkip } from "../helpers/skip.js";
import { standinBinary } from "../helpers/standin.js";
import { checkSoak, type RssSample, type SoakOutcome } from "./soak-check.js";
import { runSoak, type SoakResult } from "./soak-run.js";
import { startStandins } from "./standin-soak.js";

const status = (source: SourceName, state: "up" | "down" | "degraded", detail: string, t: number) => ev("source.status", { source, state, detail }, t, source);
const flat = (n: number, kib = 80_000): RssSample[] => Array.from({ length: n }, (_, i) => ({ t: i, kib }));
const outcome = (over: Partial<SoakOutcome>): SoakOutcome => ({
  started: 0,
  exit: { code: 0, signal: null },
  events: [status("ipc", "up", "connected", 0), status("ipc", "down", "stopped", 20)],
  output: "",
  rss: flat(20),
  sources: ["ipc"],
  trafficRounds: 10,
  ...over,
});

describe("soak checker", () => {
  it("passes a run where every source stays up, nothing is printed and RSS is flat", () => {
    expect(checkSoak(outcome({})).failures).toEqual([]);
  });

  it("names a source that left up before the clean stop, and one that never came up", () => {
    const events: PeerwatchEvent[] = [
      status("ipc", "up", "connected", 0),
      status("ipc", "down", "IPC connection lost: closed by the node", 5),
      status("ipc", "up", "connected", 6),
      status("ipc", "down", "stopped", 20),
      status("rpc", "down", "connection refused", 0),
    ];
    const v = checkSoak(outcome({ events, sources: ["ipc", "rpc"] }));
    expect(v.failures).toEqual([
      'source ipc left "up" 1 time(s) without cause (last: down: IPC connection lost: closed by the node)',
      "source rpc never came up (states: down)",
    ]);
    expect(v.status.ipc?.states).toEqual(["up", "down", "up", "stopped"]);
  });

  it("counts degraded after up as a flap, and up → up (a new detail) as none", () => {
    const events = [
      status("rpc", "up", "polling 12 methods", 0),
      status("rpc", "up", "polling 11 methods", 1),
      status("rpc", "degraded", "node is warming up", 2),
    ];
    expect(checkSoak(outcome({ events, sources: ["rpc"] })).status.rpc).toMatchObject({ flaps: 1, lastFlap: "degraded: node is warming up" });
  });

  it("names warnings, uncaught errors and log lines at error or fatal, not those at warn", () => {
    const output = [
      '{"level":40,"msg":"alert: many inbound connections"}',
      "(node:123) MaxListenersExceededWarning: Possible EventEmitter memory leak detected.",
      '{"level":50,"msg":"tool failed"}',
      '{"level":"fatal","msg":"gone"}',
      "Error: Unhandled rejection at …",
    ].join("\n");
    const v = checkSoak(outcome({ output }));
    expect(v.warnings).toHaveLength(4);
    expect(v.failures).toEqual([`4 warning/error line(s), first: (node:123) MaxListenersExceededWarning: Possible EventEmitter memory leak detected.`]);
  });

  it("fails RSS growth beyond 10 % between the middle and last thirds, not a drop or less", () => {
    const rise = (to: number): RssSample[] => [...flat(10, 60_000), ...flat(10, 80_000), ...flat(10, to)].map((s, i) => ({ ...s, t: i }));
    expect(checkSoak(outcome({ rss: rise(87_000) })).failures).toEqual([]);
    expect(checkSoak(outcome({ rss: rise(60_000) })).failures).toEqual([]);
    expect(checkSoak(outcome({ rss: rise(90_000) })).failures).toEqual([
      "RSS grew: last third median 87.9 MiB is 12.5 % above the middle third's 78.1 MiB (limit +10 %)",
    ]);
    expect(checkSoak(outcome({ rss: flat(8) })).failures).toEqual(["only 8 RSS samples: run longer"]);
  });

  it("fails a run that did not exit 0 or made no traffic", () => {
    expect(checkSoak(outcome({ exit: { code: null, signal: "SIGKILL" }, trafficRounds: 0 })).failures).toEqual([
      "observe exited with SIGKILL, not 0",
      "no traffic was made",
    ]);
  });
});

const standin = standinBinary();
const warningDrill = path.join(path.dirname(fileURLToPath(import.meta.url)), "warning-drill.cjs");
const isIpc = (state: string) => (e: PeerwatchEvent) => e.type === "source.status" && e.data.source === "ipc" && e.data.state === state;

describe.skipIf("skip" in standin)("soak drill on the stand-ins: a restarted stand-in and a warning fail the soak", () => {
  let r: SoakResult;
  beforeAll(async () => {
    // without eBPF: the drill is about the checker, and bpftrace attaching under load is slow
    const target = await startStandins({ standin: (standin as { path: string }).path });
    try {
      r = await runSoak(target, {
        duration: 15,
        nodeOptions: [`--require "${warningDrill}"`],
        // once every source is up, kill the stand-in node as a crash would, and start it again
        drill: async (cli) => {
          for (const s of target.sources) await cli.waitFor((e) => e.type === "source.status" && e.data.source === s && e.data.state === "up", 60_000);
          const from = cli.events.length;
          await target.node.kill();
          await cli.waitFor(isIpc("down"), 10_000, from);
          await target.node.start();
        },
      });
      console.log(r.summary);
    } finally {
      await target.stop();
    }
  }, 300_000);

  it("fails with the flap named", () => {
    expect(r.verdict.failures, r.summary).toContainEqual(
      expect.stringMatching(/^source ipc left "up" 1 time\(s\) without cause \(last: down: .*connection lost/),
    );
    expect(r.summary).toMatch(/^FAIL$/m);
  });

  it("fails with the warning named", () => {
    expect(r.verdict.failures, r.summary).toContainEqual(expect.stringMatching(/warning\/error line\(s\), first: \(node:\d+\) MaxListenersExceededWarning/));
  });

  it("still sees the rest of the run as it should: exit 0 at --duration, every source up", () => {
    expect(r.outcome.exit.code).toBe(0);
    expect(r.verdict.failures.filter((f) => f.includes("never came up"))).toEqual([]);
  });
});

if ("skip" in standin) reportSkip("soak drill on the stand-ins", standin.skip);
