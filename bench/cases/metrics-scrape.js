// Metrics: a scrape with 1000 peers vs with 10.
import { compare, dist, report } from "../lib.js";
import { snapshotPeer } from "../traffic.js";

export async function run() {
  const { MemoryBus } = await dist("bus/index.js");
  const { makeEvent } = await dist("events/index.js");
  const { createMetricsRegistry } = await dist("tools/metrics/index.js");
  const { loadIpLists } = await dist("iplists/load-lists.js");
  const lists = loadIpLists();
  const setup = (n) => {
    const bus = new MemoryBus({ nodeName: "b" });
    const m = createMetricsRegistry(bus, lists);
    m.handle(makeEvent("rpc", "b", "peers.snapshot", { peers: Array.from({ length: n }, (_, i) => snapshotPeer(i)) }));
    for (let i = 0; i < 5000; i++)
      m.handle(
        makeEvent("ebpf", "b", "net.message", {
          peerId: i % n,
          addr: "x",
          connType: "inbound",
          direction: i % 2 ? "in" : "out",
          msgType: ["inv", "tx", "ping", "addrv2"][i % 4],
          size: 40,
        }),
      );
    return { bus, m };
  };
  const small = setup(10);
  const big = setup(1000);
  const med = await compare(
    {
      "snapshot of 1000 peers + scrape": async () => {
        big.m.handle(makeEvent("rpc", "b", "peers.snapshot", { peers: Array.from({ length: 1000 }, (_, i) => snapshotPeer(i)) }));
        await big.m.registry.metrics();
      },
      "snapshot of 10 peers + scrape": async () => {
        small.m.handle(makeEvent("rpc", "b", "peers.snapshot", { peers: Array.from({ length: 10 }, (_, i) => snapshotPeer(i)) }));
        await small.m.registry.metrics();
      },
    },
    15,
  );
  report("Metrics: peers.snapshot + /metrics scrape", med, "snapshot of 10 peers + scrape");
  await small.bus.close(0);
  await big.bus.close(0);
}
