// Replay at max speed: a 50,000-event gzip recording through the reader, decoder, player (waiting
// for room in the queues) and bus into the metrics tool, vs decoding the same lines in memory and
// calling the metrics handler directly.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { compare, dist, report } from "../lib.js";

export async function run() {
  const { MemoryBus } = await dist("bus/index.js");
  const { makeEvent, decodeEventLine, encodeEvent } = await dist("events/index.js");
  const { createMetricsRegistry } = await dist("tools/metrics/index.js");
  const { loadIpLists } = await dist("tools/iplists/load-lists.js");
  const { RecordingPlayer } = await dist("tools/record/player.js");
  const types = ["inv", "tx", "ping", "pong", "addrv2", "getdata", "headers"];
  const events = Array.from({ length: 50_000 }, (_, i) => makeEvent("ebpf", "b", "net.message", { peerId: i % 50, addr: `10.0.0.${i % 50}:8333`, connType: "inbound", direction: i % 3 ? "in" : "out", msgType: types[i % types.length], size: 40 + (i % 200) }, 1_795_470_000_000_000 + i * 1000));
  const lines = events.map((e) => encodeEvent(e));
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pw-bench-")), "rec.ndjson.gz");
  fs.writeFileSync(file, zlib.gzipSync(lines.join("\n") + "\n"));
  const lists = loadIpLists();
  const med = await compare({
    "replay --speed max (gunzip, decode, player, bus, metrics)": async () => {
      const bus = new MemoryBus({ nodeName: "b" });
      const m = createMetricsRegistry(bus, lists);
      bus.subscribe({ name: "metrics", maxQueue: 100_000 }, m.handle);
      await new RecordingPlayer(bus, { files: [file], speed: "max", nodeName: "b" }).play();
      await bus.drained();
      await bus.close(0);
    },
    "decode in memory + metrics handler": () => {
      const bus = new MemoryBus({ nodeName: "b" });
      const m = createMetricsRegistry(bus, lists);
      for (const l of lines) m.handle(decodeEventLine(l).value);
      return bus.close(0);
    },
  }, 5);
  report("Replay: 50,000 recorded events at --speed max", med, "decode in memory + metrics handler", events.length, "events");
}
