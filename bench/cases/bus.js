// The bus: 100,000 events to 3 subscribers vs calling 3 handlers directly.
import { compare, dist, drained, report } from "../lib.js";

export async function run() {
  const { MemoryBus } = await dist("bus/index.js");
  const { makeEvent } = await dist("events/index.js");
  const events = Array.from({ length: 100_000 }, (_, i) =>
    makeEvent("ebpf", "b", "net.message", { peerId: i % 100, addr: "127.0.0.1:1", connType: "inbound", direction: "in", msgType: "inv", size: 37 }),
  );
  let sink = 0;
  const handler = (e) => {
    sink += e.data.size;
  };
  const med = await compare({
    "MemoryBus, 3 bounded subscribers": async () => {
      const bus = new MemoryBus({ nodeName: "b", defaultMaxQueue: 200_000 });
      const subs = [0, 1, 2].map((i) => bus.subscribe({ name: `s${i}`, prefixes: ["net."] }, handler));
      for (const e of events) bus.publish(e);
      await drained(subs);
      await bus.close(0);
    },
    "3 handlers called directly": () => {
      for (const e of events) {
        handler(e);
        handler(e);
        handler(e);
      }
    },
  });
  report("Bus: 100,000 events, 3 subscribers", med, "3 handlers called directly", events.length, "events");
  if (sink < 0) console.log(sink);
}
