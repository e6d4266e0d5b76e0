import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { decodeEventLine, encodeEvent, makeEvent, type Emit, type PeerwatchEvent } from "../../src/events/index.js";
import { explainFailure, runBpftrace } from "../../src/ebpf/bpftrace-runner.js";
import { createLogger } from "../../src/logger.js";

describe("bpftrace failures in plain words", () => {
  it.each([
    ["ERROR: Could not resolve symbol: /x:net:inbound_message", /could not attach .*USDT/],
    ["ERROR: bpftrace currently only supports running as the root user.", /needs root/],
    ["ioctl(PERF_EVENT_IOC_SET_BPF): Operation not permitted", /needs root \(or CAP_BPF\+CAP_PERFMON/],
    ["ERROR: Error attaching probe: usdt:/x:net:inbound_message, to PID: 42\nERROR: usdt probe", /could not attach/],
    ["/tmp/p.bt:1:1-30: ERROR: BPF stack limit of 512 bytes is exceeded", /512-byte BPF stack/],
  ])("%s", (stderr, re) => {
    expect(explainFailure(`ERROR: Unknown error -1: couldn't set RLIMIT_MEMLOCK for bpftrace.\n${stderr}`, 1, null)).toMatch(re);
  });

  it("leaves out the harmless detach noise", () => {
    const msg = explainFailure(
      "open(/sys/kernel/tracing/uprobe_events): No such file or directory\nERROR: failed to detach probe: usdt:x\nsomething real",
      1,
      null,
    );
    expect(msg).toBe("bpftrace exited (code 1): something real");
  });

  it("says when bpftrace is not installed", async () => {
    const ac = new AbortController();
    const r = runBpftrace({
      bpftrace: "/nonexistent/bpftrace",
      binary: "/b",
      pid: 1,
      groups: ["net"],
      payloadBytes: 0,
      emit: () => {},
      log: createLogger({ level: "silent" }),
      signal: ac.signal,
    });
    expect(await r.done).toMatch(/bpftrace is not installed/);
  });
});

describe("bpftrace loss reports", () => {
  it("turns a loss count past 2^53 into a valid, saturated events.dropped instead of null", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-fakebt-"));
    const fake = path.join(dir, "bpftrace");
    fs.writeFileSync(fake, "#!/bin/sh\necho 'Lost 99999999999999999999 events'\necho 'Lost 5 events'\n");
    fs.chmodSync(fake, 0o755);
    const events: PeerwatchEvent[] = [];
    const emit: Emit = (type, data) => void events.push(makeEvent("ebpf", "t", type, data) as PeerwatchEvent);
    const r = runBpftrace({
      bpftrace: fake,
      binary: "/b",
      pid: 1,
      groups: ["net"],
      payloadBytes: 0,
      emit,
      log: createLogger({ level: "silent" }),
      signal: new AbortController().signal,
    });
    await r.done;
    const dropped = events.filter((e) => e.type === "events.dropped");
    expect(dropped).toHaveLength(1);
    expect(dropped[0]?.data).toEqual({
      source: "ebpf",
      count: Number.MAX_SAFE_INTEGER,
      reason: "bpftrace lost events: its perf buffer was full (at least this many: the count passed 2^53)",
    });
    // It survives the event model's own decoder, as written to NDJSON.
    expect(decodeEventLine(encodeEvent(dropped[0]!)).ok).toBe(true);
    expect(r.stats.lost).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe("stopping bpftrace", () => {
  it("kills a bpftrace that does not exit on SIGINT after the grace period, so peerwatch can exit", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-fakebt-"));
    const fake = path.join(dir, "bpftrace");
    // Ignores SIGINT, as a bpftrace slow to detach does; prints the ready line so it counts as attached.
    fs.writeFileSync(fake, "#!/bin/sh\ntrap '' INT\necho 'Attaching 2 probes...'\necho 'READY'\nwhile :; do sleep 1; done\n");
    fs.chmodSync(fake, 0o755);
    const ac = new AbortController();
    const r = runBpftrace({
      bpftrace: fake,
      binary: "/b",
      pid: 1,
      groups: ["net"],
      payloadBytes: 0,
      emit: () => {},
      log: createLogger({ level: "silent" }),
      signal: ac.signal,
      stopGraceMs: 300,
    });
    await new Promise((res) => setTimeout(res, 300));
    const t0 = Date.now();
    ac.abort();
    expect(await r.done).toBe("stopped");
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(250); // it was given the grace period first
    expect(took).toBeLessThan(20_000); // and did not wait for the script's loop
  });
});
