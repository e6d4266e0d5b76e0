// The NDJSON writer under a slow reader, a full disk and a read-only target: no listener leak,
// every lost event counted as events.dropped, a clear error for a target it cannot open.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { MemoryBus } from "../../src/bus/index.js";
import { makeEvent, type PeerwatchEvent } from "../../src/events/index.js";
import { createLogger } from "../../src/logger.js";
import { startNdjsonWriter } from "../../src/tools/ndjson/ndjson-writer.js";
import { CLI, runCli, type CliResult } from "../helpers/cli.js";
import { until } from "../helpers/wait.js";

const log = createLogger({ level: "silent", format: "json" });
const tip = (h: number) => makeEvent("ipc", "n1", "tip.changed", { height: h, hash: h.toString(16).padStart(64, "0") });

function collectDropped(bus: MemoryBus): PeerwatchEvent[] {
  const seen: PeerwatchEvent[] = [];
  bus.subscribe({ name: "drops", prefixes: ["events.dropped"] }, (e) => void seen.push(e));
  return seen;
}

describe("NDJSON writer", () => {
  it("waits for drain without piling up listeners on the stream", async () => {
    const bus = new MemoryBus({ nodeName: "n1" });
    // stdout stand-in: a stream that is slow to drain (small buffer, read a bit at a time).
    const slow = new PassThrough({ highWaterMark: 64 });
    const realStdout = Object.getOwnPropertyDescriptor(process, "stdout")!;
    Object.defineProperty(process, "stdout", { value: slow, configurable: true });
    let writer: ReturnType<typeof startNdjsonWriter> | undefined;
    try {
      writer = startNdjsonWriter(bus, "-", log);
    } finally {
      Object.defineProperty(process, "stdout", realStdout);
    }
    // The most listeners seen while the reader works: a pile-up would show here, not only at the end.
    let most = { drain: 0, error: 0 };
    const reader = setInterval(() => {
      slow.read();
      most = { drain: Math.max(most.drain, slow.listenerCount("drain")), error: Math.max(most.error, slow.listenerCount("error")) };
    }, 1);
    for (let i = 0; i < 2000; i++) bus.publish(tip(i));
    await until(() => writer.subscription.pending === 0, 20_000);
    // An empty queue can still leave the last batch waiting for 'drain' (seen under load): wait for the reader to take it.
    await until(() => slow.listenerCount("drain") === 0, 20_000);
    clearInterval(reader);
    // One wait at a time: its 'drain' and 'error' pair beside the sink's own 'error' listener.
    expect(most.drain).toBeLessThanOrEqual(1);
    expect(most.error).toBeLessThanOrEqual(2);
    expect(slow.listenerCount("error")).toBeLessThanOrEqual(1);
    expect(slow.listenerCount("drain")).toBe(0);
    await writer.close();
    await bus.close(0);
  });

  it("counts every event lost to a full disk (/dev/full), by reason", async () => {
    const bus = new MemoryBus({ nodeName: "n1" });
    const drops = collectDropped(bus);
    const writer = startNdjsonWriter(bus, "/dev/full", log);
    for (let i = 0; i < 500; i++) bus.publish(tip(i));
    await until(() => writer.subscription.pending === 0);
    await until(() => drops.length > 0, 3000);
    const counted = [...writer.lost.values()].reduce((a, b) => a + b, 0);
    expect(counted).toBe(500);
    expect([...writer.lost.keys()]).toEqual(["event output failed: ENOSPC"]);
    await writer.close();
    const reported = drops.reduce((a, e) => a + (e.data as { count: number }).count, 0);
    expect(reported).toBeGreaterThan(0);
    expect(drops[0]?.data).toMatchObject({ source: "ndjson", reason: "event output failed: ENOSPC" });
    await bus.close(0);
  });

  it("counts an event that cannot be encoded instead of failing on it", async () => {
    const bus = new MemoryBus({ nodeName: "n1" });
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pw-nd-")), "e.ndjson");
    const writer = startNdjsonWriter(bus, out, log);
    const bad = tip(1) as PeerwatchEvent & { data: Record<string, unknown> };
    bad.data.extra = 1n; // JSON.stringify throws on a BigInt
    bus.publish(bad);
    bus.publish(tip(2));
    await until(() => writer.subscription.pending === 0);
    await writer.close();
    expect(Object.fromEntries(writer.lost)).toEqual({ "event could not be encoded (tip.changed)": 1 });
    expect(
      fs
        .readFileSync(out, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).data.height),
    ).toEqual([2]);
    await bus.close(0);
  });

  it("refuses a target it cannot open with a clear error", () => {
    const bus = new MemoryBus({ nodeName: "n1" });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-nd-"));
    expect(() => startNdjsonWriter(bus, dir, log)).toThrow(`cannot write events to ${dir}: EISDIR`);
    expect(() => startNdjsonWriter(bus, path.join(dir, "no/such/dir/e.ndjson"), log)).toThrow(/ENOENT/);
  });
});

/** The uid and gid that own nothing ("nobody"/"nogroup" on Debian). */
const NOBODY = { uid: 65534, gid: 65534 };

/**
 * observe --events on a file mode 0444. Root may write any file, so as root the file is root's and
 * peerwatch runs as nobody, in a 0755 folder; that needs the checkout (this CLI, dist/, node_modules)
 * readable by nobody, which is tried first: copying the build elsewhere would test another tree.
 */
async function runReadOnly(): Promise<(CliResult & { file: string }) | { skip: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-nd-ro-"));
  fs.chmodSync(dir, 0o755);
  const file = path.join(dir, "events.ndjson");
  fs.writeFileSync(file, "");
  fs.chmodSync(file, 0o444);
  const args = ["observe", "--datadir", dir, "--events", file, "--duration", "0.5", "--metrics", "off", "--log-level", "info"];
  if (process.getuid?.() !== 0) return { ...(await runCli(args)), file };
  const env = { HOME: dir };
  const probe = await runCli(["--version"], { as: NOBODY, env, cwd: dir });
  if (probe.code !== 0)
    return { skip: `uid ${NOBODY.uid} cannot run ${CLI} (is every folder above the checkout readable by others?): ${probe.stderr.split("\n")[0]}` };
  return { ...(await runCli(args, { as: NOBODY, env, cwd: dir })), file };
}

describe("peerwatch observe --events", () => {
  it("exits with a clear message when the events file cannot be written", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-nd-"));
    const r = await runCli(["observe", "--datadir", dir, "--events", dir, "--duration", "0.5", "--metrics", "off"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot write events to ${dir}: EISDIR`);
  });

  it("exits with a clear message, no stack trace, when the events file is read-only (EACCES)", async (ctx) => {
    const r = await runReadOnly();
    if ("skip" in r) {
      console.warn(`SKIPPING the read-only events file as another user: ${r.skip}`);
      return ctx.skip(r.skip);
    }
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`cannot write events to ${r.file}: EACCES (permission denied: read-only for this user)`);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(fs.readFileSync(r.file, "utf8")).toBe("");
  });

  it("keeps running on a full disk and counts what it could not write", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-nd-"));
    const r = await runCli(["observe", "--datadir", dir, "--events", "/dev/full", "--duration", "1.5", "--metrics", "off", "--log-level", "info"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/event output stopped/);
    expect(r.stderr).toMatch(/events were not written to \/dev\/full/);
  });
});
