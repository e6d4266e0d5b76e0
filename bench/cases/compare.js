// compare: the analysis of a message flood (IPC and eBPF both tracing, 100 peers) against the
// metrics tool handling the same events: compare must keep up with what observe's tools keep up with.
import { compare, dist, report } from "../lib.js";

export async function run() {
  const { MemoryBus } = await dist("bus/index.js");
  const { makeEvent } = await dist("events/index.js");
  const { createMetricsRegistry } = await dist("tools/metrics/index.js");
  const { loadIpLists } = await dist("iplists/load-lists.js");
  const { Comparer } = await dist("tools/compare/comparer.js");
  const types = ["ping", "pong", "inv", "tx", "addrv2", "getdata"];
  const events = [];
  for (let i = 0; i < 50_000; i++) {
    const data = { peerId: i % 100, addr: "x", connType: "inbound", direction: i % 2 ? "in" : "out", msgType: types[i % types.length], size: 8 + (i % 300) };
    const ts = 1_795_470_000_000_000 + i * 20;
    events.push(makeEvent("ipc", "b", "net.message", { ...data, receivedTs: ts + 1500 }, ts), makeEvent("ebpf", "b", "net.message", data, ts + 1000));
  }
  const bus = new MemoryBus({ nodeName: "b" });
  const m = createMetricsRegistry(bus, loadIpLists());
  const med = await compare({
    "Comparer.add, then report()": () => {
      const c = new Comparer();
      for (const e of events) c.add(e);
      c.report();
    },
    "metrics tool handle": () => {
      for (const e of events) m.handle(e);
    },
  });
  report("compare: 100,000 net.message events (IPC and eBPF, 100 peers, 6 types)", med, "metrics tool handle", events.length, "events");
  await bus.close(0);
}
