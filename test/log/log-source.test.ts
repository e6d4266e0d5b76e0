// The log source in process: a debug.log written while it runs becomes events stamped with the
// lines' own times; unknown lines are counted by category; a truncation that brings back old lines
// (as the node's ShrinkDebugFile does) does not emit them twice.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadObserveConfig as loadConfig } from "../../src/cli/observe-options.js";
import { discoverSources } from "../../src/cli/observe.js";
import { emitterFor, type PeerwatchEvent } from "../../src/events/index.js";
import { createLogger } from "../../src/logger.js";
import { LOG_LIMITS, LogSource } from "../../src/log/log-source.js";
import { captureFile } from "../helpers/capture.js";
import { until } from "../helpers/wait.js";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-logsrc-"));
  fs.mkdirSync(path.join(dir, "regtest"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const real = fs.readFileSync(captureFile("debug.log"), "utf8").split("\n").filter(Boolean);
const logFile = () => path.join(dir, "regtest", "debug.log");

function start(extra: Record<string, unknown> = {}) {
  const config = loadConfig({ chain: "regtest", datadir: dir, sources: "log", nodeName: "n1", logState: path.join(dir, "state.json"), ...extra }, {});
  const events: PeerwatchEvent[] = [];
  const ac = new AbortController();
  const done = new LogSource({ ...LOG_LIMITS, pollMs: 20, statsEveryMs: 100, nodeCheckMs: 30 }).run({
    config,
    emit: emitterFor("log", "n1", (e) => events.push(e)),
    log: createLogger({ level: "silent" }),
    signal: ac.signal,
  });
  return { events, stop: async () => (ac.abort(), await done), of: (t: string) => events.filter((e) => e.type === t) };
}

describe("log source", () => {
  it("emits only what is written after it starts, with the lines' times, and counts the rest", async () => {
    fs.writeFileSync(logFile(), real.slice(0, 140).join("\n") + "\n"); // old: version line, tip 0
    const s = start();
    await until(() => s.of("source.status").some((e) => e.type === "source.status" && e.data.state === "up"));
    fs.appendFileSync(logFile(), real.slice(140, 400).join("\n") + "\n");
    await until(() => s.of("tip.changed").length > 0 && s.of("net.connection").length === 1);
    await until(() => s.of("log.lines").length > 0);
    // The read-back of the version line runs beside the follower: wait for it, not for the clock.
    await until(() => s.of("node.info").length > 0);
    await s.stop();
    const conn = s.of("net.connection")[0] as PeerwatchEvent<"net.connection">;
    expect(conn.source).toBe("log");
    expect(conn.ts).toBe(Date.UTC(2026, 10, 23, 21, 47, 54) * 1000 + 240307);
    expect(conn.data).toMatchObject({ kind: "inbound", peerId: 0, addr: "127.0.0.1:51350", transport: "v2" });
    // The version line was before the start: read back to it, told once, with the IPC listener seen after it.
    expect(s.of("node.info").map((e) => e.data)).toEqual([
      expect.objectContaining({ implementation: "Bitcoin Core", version: "v31.99.0-b88bffe550a3", chain: "regtest", multiprocess: true }),
    ]);
    const heights = s.of("tip.changed").map((e) => (e as PeerwatchEvent<"tip.changed">).data.height);
    expect(heights[0]).toBe(1);
    const stats = s.of("log.lines").at(-1) as PeerwatchEvent<"log.lines">;
    expect(stats.data.parsed["update-tip"]).toBe(heights.length);
    expect(stats.data.unknown.validation).toBeGreaterThan(0);
    expect(stats.data.unknown.none).toBeGreaterThan(0);
    expect(stats.data.truncated).toBe(0);
  });

  it("reads the whole log with --log-from start, and says who the node is", async () => {
    fs.writeFileSync(logFile(), real.join("\n") + "\n");
    const s = start({ logFrom: "start" });
    await until(() => s.of("tip.changed").length === 112);
    await s.stop();
    expect(s.of("node.info")[0]?.data).toMatchObject({ implementation: "Bitcoin Core", chain: "regtest" });
  });

  it("after a shrink that keeps the old tail (ShrinkDebugFile), emits only the lines that are new", async () => {
    fs.writeFileSync(logFile(), real.slice(0, 300).join("\n") + "\n");
    const s = start({ logFrom: "start" });
    await until(() => s.of("tip.changed").length > 0);
    await new Promise((r) => setTimeout(r, 100));
    const before = s.of("tip.changed").length;
    // The node's ShrinkDebugFile: the file is rewritten in place with its last part, then grows on.
    fs.writeFileSync(logFile(), real.slice(200, 300).join("\n") + "\n");
    await new Promise((r) => setTimeout(r, 150));
    fs.appendFileSync(logFile(), real.slice(300, 400).join("\n") + "\n");
    const newTips = real.slice(300, 400).filter((l) => l.includes("UpdateTip:")).length;
    await until(() => s.of("tip.changed").length === before + newTips);
    await new Promise((r) => setTimeout(r, 100));
    await s.stop();
    const hashes = s.of("tip.changed").map((e) => (e as PeerwatchEvent<"tip.changed">).data.hash);
    expect(new Set(hashes).size).toBe(hashes.length);
    expect(s.of("source.status").some((e) => e.type === "source.status" && /shrank/.test(e.data.detail))).toBe(true);
  });

  it("says down when the node's process goes, and up when it runs again (the file stays)", async () => {
    const pidFile = path.join(dir, "regtest", "bitcoind.pid");
    const node = (): ChildProcess => spawn("sleep", ["30"], { stdio: "ignore" });
    const first = node();
    fs.writeFileSync(pidFile, `${first.pid}\n`);
    fs.writeFileSync(logFile(), real.slice(0, 140).join("\n") + "\n");
    const s = start();
    const statuses = () => s.of("source.status").map((e) => e as PeerwatchEvent<"source.status">);
    try {
      await until(() => statuses().some((e) => e.data.state === "up"));
      // The node removes its PID file on the way out; a crash leaves it behind: either way the PID is not running.
      first.kill("SIGKILL");
      await until(() => statuses().at(-1)?.data.state === "down");
      expect(statuses().at(-1)?.data.detail).toBe(`the node is gone: no process with PID ${first.pid} (from ${pidFile})`);
      const second = node();
      try {
        fs.writeFileSync(pidFile, `${second.pid}\n`);
        await until(() => statuses().at(-1)?.data.state === "up");
        expect(statuses().at(-1)?.data.detail).toBe(`the node runs again (PID ${second.pid} from ${pidFile})`);
      } finally {
        second.kill("SIGKILL");
      }
    } finally {
      first.kill("SIGKILL");
      await s.stop();
    }
  });

  it("says down on the node's own shutdown lines, and up on its next startup line; old shutdowns read back are history", async () => {
    const stamp = () => new Date().toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
    // Read back from the start: a shutdown from days ago must not count as the node going away now.
    fs.writeFileSync(
      logFile(),
      ["2026-11-23T21:40:00.000000Z [init] Shutdown in progress...", "2026-11-23T21:40:01.000000Z [init] Shutdown done", ...real.slice(0, 140)].join("\n") +
        "\n",
    );
    const s = start({ logFrom: "start" });
    const statuses = () => s.of("source.status").map((e) => e as PeerwatchEvent<"source.status">);
    try {
      await until(() => s.of("tip.changed").length > 0);
      expect(statuses().map((e) => e.data.state)).toEqual(["up"]);
      fs.appendFileSync(logFile(), `${stamp()} [init] Shutdown in progress...\n`);
      await until(() => /shutting down/.test(statuses().at(-1)?.data.detail ?? ""));
      expect(statuses().at(-1)?.data.state).toBe("down");
      fs.appendFileSync(logFile(), `${stamp()} [init] Shutdown done\n`);
      await until(() => /shut down \(debug.log says "Shutdown done"/.test(statuses().at(-1)?.data.detail ?? ""));
      expect(statuses().at(-1)?.data.state).toBe("down");
      fs.appendFileSync(logFile(), `${stamp()} [init] Bitcoin Core version v31.99.0-b88bffe550a3 (release build)\n`);
      await until(() => statuses().at(-1)?.data.state === "up");
      expect(statuses().at(-1)?.data.detail).toBe("the node started again (its startup line is in the log)");
    } finally {
      await s.stop();
    }
  });

  it("joins auto mode when the chain's debug.log is readable, and says why not when it is not", () => {
    const cfg = (extra: Record<string, unknown> = {}) => loadConfig({ chain: "regtest", datadir: dir, ...extra }, {});
    const plan = () => discoverSources(cfg()).find((p) => p.plan.name === "log")?.plan;
    expect(plan()).toMatchObject({ start: false });
    expect(plan()).toHaveProperty("reason", expect.stringContaining(logFile()));
    fs.writeFileSync(logFile(), "");
    expect(plan()).toMatchObject({ start: true, detail: `log ${logFile()}` });
    const named = discoverSources(cfg({ sources: "log", logFile: path.join(dir, "none.log") }))[0]?.plan;
    expect(named).toMatchObject({ name: "log", start: true });
  });
});

describe("lastIdentity", () => {
  it("finds the last session's version line behind a long tail, and only before the start offset", async () => {
    const { lastIdentity } = await import("../../src/log/last-identity.js");
    const f = path.join(dir, "big.log");
    const filler = "2026-11-23T21:50:00Z [msghand] [net] received: ping (8 bytes) peer=0\n".repeat(3000); // ~200 KB
    fs.writeFileSync(
      f,
      "2026-11-23T20:00:00Z Bitcoin Knots version v29.1.knots20250903\n" +
        filler +
        "2026-11-23T21:47:49Z Bitcoin Core version v31.99.0-b88bffe550a3 (release build)\n" +
        filler,
    );
    const size = fs.statSync(f).size;
    expect((await lastIdentity(f, size, "regtest")).map((x) => x.data)).toEqual([expect.objectContaining({ implementation: "Bitcoin Core" })]);
    expect((await lastIdentity(f, filler.length + 70, "regtest")).map((x) => x.data.implementation)).toEqual(["Bitcoin Knots"]);
    expect(await lastIdentity(f, size, "regtest", 64 * 1024)).toEqual([]); // bounded: not within the last 64 KiB
  });
});
