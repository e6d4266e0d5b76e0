// The NATS bus: 20,000 events from a publisher to a subscriber through a local nats-server (core,
// and JetStream with acks), against the in-process bus with one subscriber. Needs nats-server.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { compare, dist, report } from "../lib.js";

const N = 20_000;

async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startServer() {
  const bin =
    ["/usr/bin/nats-server", "/usr/sbin/nats-server"].find((p) => fs.existsSync(p)) ??
    (spawnSync("sh", ["-c", "command -v nats-server"], { encoding: "utf8" }).stdout.trim() || undefined);
  if (!bin) return undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-bench-nats-"));
  const port = await freePort();
  const child = spawn(bin, ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", dir], { stdio: ["ignore", "pipe", "pipe"] });
  await new Promise((resolve, reject) => {
    let log = "";
    const on = (d) => {
      log += d;
      if (log.includes("Server is ready")) resolve();
    };
    child.stdout.on("data", on);
    child.stderr.on("data", on);
    child.once("exit", () => reject(new Error(`nats-server exited: ${log}`)));
  });
  return {
    url: `nats://127.0.0.1:${port}`,
    stop: () => {
      child.kill("SIGTERM");
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function run() {
  const server = await startServer();
  if (!server) {
    console.log("\nNATS bus: SKIPPED, nats-server is not installed (Debian: apt-get install nats-server)");
    return;
  }
  const { MemoryBus } = await dist("bus/index.js");
  const { NatsBus } = await dist("bus/nats/nats-bus.js");
  const { makeEvent } = await dist("events/index.js");
  const { createLogger } = await dist("logger.js");
  const log = createLogger({ level: "silent", format: "json" });
  const events = Array.from({ length: N }, (_, i) =>
    makeEvent("ebpf", "b", "net.message", { peerId: i % 100, addr: "127.0.0.1:1", connType: "inbound", direction: "in", msgType: "inv", size: 37 }),
  );
  const settings = (stream) => ({ nats: [server.url], natsStreamMaxAge: 3600, natsStreamMaxBytes: 1 << 30, natsBuffer: N * 2, natsStream: stream });
  const until = async (cond) => {
    while (!cond()) await new Promise((r) => setTimeout(r, 1));
  };
  let round = 0;
  const viaNats = async (stream) => {
    const streamOpt = stream ? { name: stream, maxAgeSeconds: 3600, maxBytes: 1 << 30 } : undefined;
    const sub = new NatsBus(settings(stream), { nodeName: "t", log, defaultMaxQueue: N * 2, stream: streamOpt, durable: stream ? "d" : undefined });
    let got = 0;
    sub.subscribe({ name: "s" }, () => void got++);
    await sub.ready;
    const pub = new NatsBus(settings(stream), { nodeName: "b", log, stream: streamOpt });
    await pub.ready;
    for (const e of events) pub.publish(e);
    await until(() => got >= N);
    await pub.close(1000);
    await sub.close(1000);
    if (stream) {
      // one stream may hold peerwatch.> at a time: remove this round's
      const nc = await connect({ servers: server.url });
      await (await jetstreamManager(nc)).streams.delete(stream);
      await nc.close();
    }
  };
  let med;
  try {
    med = await compare(
      {
        "in-process bus, 1 subscriber": async () => {
          const bus = new MemoryBus({ nodeName: "b", defaultMaxQueue: N * 2 });
          let got = 0;
          bus.subscribe({ name: "s" }, () => void got++);
          for (const e of events) bus.publish(e);
          await until(() => got >= N);
          await bus.close(0);
        },
        "NATS core, publisher and subscriber": () => viaNats(undefined),
        // a fresh stream each round, so the durable reader sees this round's events only
        "NATS JetStream, durable subscriber": () => viaNats(`BENCH${++round}`),
      },
      3,
    );
  } finally {
    server.stop(); // also when a round fails
  }
  report(`NATS bus: ${N.toLocaleString("en")} events publisher → subscriber (connect and close included)`, med, "in-process bus, 1 subscriber", N, "events");
}
