import { describe, expect, it } from "vitest";
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
    const msg = explainFailure("open(/sys/kernel/tracing/uprobe_events): No such file or directory\nERROR: failed to detach probe: usdt:x\nsomething real", 1, null);
    expect(msg).toBe("bpftrace exited (code 1): something real");
  });

  it("says when bpftrace is not installed", async () => {
    const ac = new AbortController();
    const r = runBpftrace({ bpftrace: "/nonexistent/bpftrace", binary: "/b", pid: 1, groups: ["net"], payloadBytes: 0, emit: () => {}, log: createLogger({ level: "silent" }), signal: ac.signal });
    expect(await r.done).toMatch(/bpftrace is not installed/);
  });
});
