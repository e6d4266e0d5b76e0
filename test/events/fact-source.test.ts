// Facts several sources report are counted once: from the best source that is reporting.
import { describe, expect, it } from "vitest";
import { MemoryBus } from "../../src/bus/index.js";
import { FACT_SOURCE_SILENCE_US, FactSourceSelector, makeEvent, type SourceName } from "../../src/events/index.js";
import { createMetricsRegistry } from "../../src/tools/metrics/index.js";
import { loadIpLists } from "../../src/iplists/load-lists.js";

const msg = (source: SourceName, ts: number, peerId = 1) =>
  makeEvent(source, "n", "net.message", { peerId, addr: "127.0.0.1:1", connType: "inbound", direction: "in", msgType: "ping", size: 8 }, ts);

describe("FactSourceSelector", () => {
  it("takes a shared fact from the best source reporting it, and every other type from anyone", () => {
    const s = new FactSourceSelector();
    expect(s.accept(msg("log", 1))).toBe(true); // only the log so far
    expect(s.accept(msg("ebpf", 2))).toBe(true); // better: takes over
    expect(s.accept(msg("log", 3))).toBe(false);
    expect(s.accept(msg("ipc", 4))).toBe(true); // best
    expect(s.accept(msg("ebpf", 5))).toBe(false);
    expect(s.sources()).toEqual({ "net.message": "ipc" });
    expect(s.accept(makeEvent("rpc", "n", "rpc.snapshot", { method: "uptime", result: 5 }, 6))).toBe(true);
  });

  it("falls back to another source when the chosen one has been silent", () => {
    const s = new FactSourceSelector();
    expect(s.accept(msg("ipc", 1_000))).toBe(true);
    expect(s.accept(msg("ebpf", 1_000 + FACT_SOURCE_SILENCE_US))).toBe(false);
    expect(s.accept(msg("ebpf", 2_000 + FACT_SOURCE_SILENCE_US))).toBe(true);
    expect(s.accept(msg("ipc", 3_000 + FACT_SOURCE_SILENCE_US))).toBe(true); // back, and preferred
    expect(s.accept(msg("ebpf", 4_000 + FACT_SOURCE_SILENCE_US))).toBe(false);
  });

  it("makes the metrics count a message seen by IPC tracing, eBPF and the log once", async () => {
    const bus = new MemoryBus({ nodeName: "n" });
    const { registry, handle } = createMetricsRegistry(bus, loadIpLists());
    for (let i = 0; i < 10; i++) for (const src of ["ipc", "ebpf", "log"] as const) handle(msg(src, 1_000 + i));
    const text = await registry.metrics();
    expect(text).toMatch(/^peerwatch_p2p_messages_total\{msg_type="ping",direction="in",conn_type="inbound"\} 10$/m);
    await bus.close(0);
  });
});
