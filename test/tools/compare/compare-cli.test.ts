// `peerwatch compare` as a user runs it: on recordings (plain and gzipped NDJSON) and live against
// the C++ stand-in node.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { encodeEvent } from "../../../src/events/index.js";
import { compareEvents } from "../../../src/tools/compare/comparer.js";
import type { CompareReport } from "../../../src/tools/compare/report.js";
import { runCli } from "../../helpers/cli.js";
import { reportSkip } from "../../helpers/skip.js";
import { Standin, standinBinary } from "../../helpers/standin.js";
import { hash, scenario } from "./scenario.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pw-compare-"));

describe("peerwatch compare on a recording", () => {
  it("reads plain and gzipped NDJSON, skips a bad line with its place, and reports what the analysis does", async () => {
    const events = scenario();
    const half = Math.floor(events.length / 2);
    const a = path.join(tmp, "a.ndjson");
    const b = path.join(tmp, "b.ndjson.gz");
    fs.writeFileSync(a, `${events.slice(0, half).map(encodeEvent).join("\n")}\n{"v":1,"ts":"not a time"}\n`);
    fs.writeFileSync(b, gzipSync(`${events.slice(half).map(encodeEvent).join("\n")}\n`));
    const md = path.join(tmp, "report.md");
    const r = await runCli(["compare", a, b, "--json", "--markdown", md]);
    expect(r.code, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as CompareReport;
    const want = compareEvents(events);
    expect(got).toEqual({ ...want, input: { ...want.input, invalidLines: 1 } });
    expect(r.stderr).toMatch(new RegExp(`skipped .*a\\.ndjson:${half + 1}: .*ts`));
    const report = fs.readFileSync(md, "utf8");
    expect(report).toMatch(/## Blocks/);
    expect(report).toMatch(/\| rpc \| 3\/4 \| 0 \| 5100 ms \| 7100 ms \| – \| 1 \|/);
  });

  it("prints tables on the terminal without --json", async () => {
    const f = path.join(tmp, "c.ndjson");
    fs.writeFileSync(f, scenario().map(encodeEvent).join("\n"));
    const r = await runCli(["compare", f]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/== Blocks\n.*\nsource +seen +first +median delay +max delay +missed/);
    expect(r.stdout).toMatch(/Within the 39000 ms both traced: 12 messages seen by both, 2 only by ipc, 3 only by ebpf\./);
  });

  it("compares what a truncated gzip file holds and an over-long line around it, saying where each problem is", async () => {
    const events = scenario();
    const f = path.join(tmp, "cut.ndjson.gz");
    const gz = gzipSync(`${events.map(encodeEvent).join("\n")}\n${"x".repeat(10 * 1024 * 1024)}\n`);
    fs.writeFileSync(f, gz.subarray(0, gz.length - 20));
    const r = await runCli(["compare", f, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as CompareReport;
    expect(got.input.events).toBe(events.length);
    expect(got.blocks).toEqual(compareEvents(events).blocks);
    expect(r.stderr).toMatch(new RegExp(`skipped .*cut\\.ndjson\\.gz:${events.length + 1}: (line longer than \\d+ bytes|the gzip stream ends early)`));
  });

  it("stops with exit 2 on a missing recording", async () => {
    const r = await runCli(["compare", path.join(tmp, "nope.ndjson")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no such recording .*nope\.ndjson/);
  });
});

const bin = standinBinary();
const skip = "skip" in bin;

describe.skipIf(skip)("peerwatch compare live against the stand-in node", () => {
  it("runs IPC (tip push, executeRpc poller, tracing) and /proc for --duration and reports how they agree", async () => {
    const node = new Standin((bin as { path: string }).path, ["--tracing"]);
    await node.start();
    const record = path.join(tmp, "live.ndjson");
    try {
      const run = runCli(
        [
          "compare",
          "--sources",
          "ipc,proc",
          "--ipc-socket",
          node.socket,
          "--pid",
          String(node.pid),
          "--duration",
          "5",
          "--rpc-interval",
          "0.5",
          "--proc-interval",
          "1",
          "--json",
          "--events",
          record,
          "--log-level",
          "warn",
        ],
        { timeoutMs: 30_000 },
      );
      for (let tries = 0; !/subscribers=1/.test(await node.send("stats")); tries++) {
        if (tries > 100) throw new Error("compare never subscribed to the stand-in's tracing");
        await new Promise((r) => setTimeout(r, 100));
      }
      for (let i = 1; i <= 3; i++) {
        await node.send(`tip ${200 + i} ${hash(0xbeef00 + i)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      await node.send("trace 6 4");
      const r = await run;
      expect(r.code, r.stderr).toBe(0);
      const rep = JSON.parse(r.stdout) as CompareReport;
      expect(rep.sources.ipc).toMatchObject({ state: "down", detail: "stopped", capabilities: ["echo", "rpc", "mining", "net-tracing"] });
      // The pushed tips: IPC saw all three; the stand-in's getblockchaininfo never moves, so the poller none.
      expect(rep.blocks.ipc).toMatchObject({ seen: 3, of: 3, first: 3, medianDelayMs: 0 });
      expect(rep.blocks["ipc-poll"]).toMatchObject({ seen: 0, of: 3 });
      expect(rep.messages.bySource.ipc).toMatchObject({ messages: 6, dropped: 4 });
      expect(rep.messages.matched).toBeNull();
      expect(rep.messages.ipcDeliveryDelay.samples).toBe(6);
      // Traced peers 0–5 against the polled peers of the canned getpeerinfo.
      expect(rep.peers.bySource.ipc).toEqual({ peers: 6 });
      expect(rep.peers.bySource["ipc-poll"]!.peers).toBeGreaterThan(0);
      expect(rep.cost.peerwatch.cpuPerSecond).toBeGreaterThan(0);
      expect(rep.cost.peerwatch.seconds).toBeGreaterThan(4);
      expect(rep.cost.node.cpuPerSecond).not.toBeNull();
      expect(rep.cost.bpftrace.cpuPerSecond).toBeNull();
      // The live run was recorded too, and comparing the recording says the same about blocks.
      const again = await runCli(["compare", record, "--json"]);
      expect((JSON.parse(again.stdout) as CompareReport).blocks).toEqual(rep.blocks);
    } finally {
      await node.stop();
    }
  });
});

if (skip) reportSkip("peerwatch compare live against the stand-in node", (bin as { skip: string }).skip);
