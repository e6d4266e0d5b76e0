import path from "node:path";
import { connect } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { encodeEvent, type PeerwatchEvent } from "../../src/events/index.js";
import { LiveCli } from "../helpers/cli.js";
import { eventMetrics, metricsUrl } from "../helpers/live-metrics.js";
import { natsServerBinary, natsServerForFile } from "../helpers/nats-server.js";
import { makeRecording, writeRecording } from "../helpers/node-recording.js";
import { reportSkip } from "../helpers/skip.js";
import { until } from "../helpers/wait.js";

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Replays with --linger and returns its event metrics and the events it wrote to stdout, once done. */
async function replayMetrics(args: string[]): Promise<{ metrics: string[]; events: PeerwatchEvent[]; stderr: string }> {
  const cli = new LiveCli([
    "replay",
    ...args,
    "--speed",
    "max",
    "--metrics",
    "127.0.0.1:0",
    "--events",
    "-",
    "--linger",
    "30",
    "--log-format",
    "json",
    "--node-name",
    "rr",
  ]);
  try {
    const url = await metricsUrl(cli);
    await until(() => /replay done|nothing was replayed/.test(cli.stderr), 30000).catch((e: Error) => {
      throw new Error(`${e.message}; stderr: ${cli.stderr.slice(-3000)}`);
    });
    // "replay done" is on stderr; the events are on stdout, another pipe that may still hold the last lines. The replay's
    // closing status comes after every replayed event on the same stream: once it is read, so is everything before it. Its
    // own (node "rr"): a stream holds the publishers' replay statuses too, replayed before the last events.
    await cli.waitFor((e) => e.type === "source.status" && e.source === "replay" && e.node === "rr" && e.data.state === "down", 30000);
    return { metrics: eventMetrics(await (await fetch(url)).text()), events: cli.events, stderr: cli.stderr };
  } finally {
    await cli.stop();
  }
}

/** Replays a recording at full speed into the stream PWR as node `node`, and waits for it to end well. */
async function publish(file: string, node: string, url: string): Promise<void> {
  const pub = new LiveCli([
    "replay",
    file,
    "--node-name",
    node,
    "--speed",
    "max",
    "--metrics",
    "off",
    "--nats",
    url,
    "--nats-stream",
    "PWR",
    "--log-format",
    "json",
  ]);
  expect(await pub.exited, pub.stderr.slice(-2000)).toBe(0);
}

/** The recorded events among what a replay wrote: its own status, alerts and drop reports left out. */
const recorded = (events: PeerwatchEvent[]) => events.filter((e) => e.node === "r1" && e.type !== "alert").map(encodeEvent);

const bin = natsServerBinary();
if ("skip" in bin) {
  reportSkip("replay --from-stream", bin.skip);
} else {
  const env = natsServerForFile(bin.path, "pw-nats-range-");

  describe("peerwatch replay --from-stream", () => {
    it("replays exactly the events stored between --since and --until, with the /metrics of a file replay of them", async () => {
      const parts = [makeRecording({ node: "r1", seconds: 40 }), makeRecording({ node: "r1" }), makeRecording({ node: "r1", seconds: 30, offsetSeconds: 500 })];
      const files = parts.map((events, i) => {
        const f = path.join(env.dir, `part${i}.ndjson`);
        writeRecording(f, events);
        return f;
      });
      const marks: Date[] = [];
      for (const [i, f] of files.entries()) {
        if (i > 0) {
          await pause(300);
          marks.push(new Date());
          await pause(300);
        }
        await publish(f, `pub${i}`, env.srv.url);
      }
      const [since, until_] = marks as [Date, Date];
      const fromStream = await replayMetrics([
        "--nats",
        env.srv.url,
        "--from-stream",
        "PWR",
        "--since",
        since.toISOString(),
        "--until",
        until_.toISOString(),
        "--nodes",
        "r1",
      ]);
      expect(fromStream.stderr).toMatch(/reading stream PWR/);
      // Exactly the middle recording: nothing of the first or the third, nothing lost, same order.
      expect(recorded(fromStream.events)).toEqual(parts[1]!.map(encodeEvent));
      const fromFile = await replayMetrics([files[1]!]);
      expect(recorded(fromFile.events)).toEqual(parts[1]!.map(encodeEvent));
      expect(fromStream.metrics.some((l) => l.startsWith('peerwatch_alerts_total{name="ping-spam"'))).toBe(true);
      expect(fromStream.metrics).toEqual(fromFile.metrics);

      // Without --until: the middle and the last recording; without --nodes the publishers' own status events too.
      const tail = await replayMetrics(["--nats", env.srv.url, "--from-stream", "PWR", "--since", since.toISOString()]);
      expect(recorded(tail.events)).toEqual([...parts[1]!, ...parts[2]!].map(encodeEvent));
      expect(tail.events.some((e) => e.node === "pub2" && e.type === "source.status")).toBe(true);
      expect(tail.events.some((e) => e.node === "pub0")).toBe(false);
    }, 120_000);

    it("skips and counts foreign or malformed messages in the range", async () => {
      const events = makeRecording({ node: "r1", seconds: 20 });
      const f = path.join(env.dir, "junk.ndjson");
      writeRecording(f, events);
      const since = new Date();
      await publish(f, "pubj", env.srv.url);
      const nc = await connect({ servers: env.srv.url });
      try {
        await nc.request("peerwatch.r1.net.message", new TextEncoder().encode("{not json"), { timeout: 5000 }); // JetStream acks it
        await nc.request("peerwatch.r1.net.message", new TextEncoder().encode(encodeEvent({ ...events[1]!, node: "other" })), { timeout: 5000 });
      } finally {
        await nc.close();
      }
      const r = await replayMetrics(["--nats", env.srv.url, "--from-stream", "PWR", "--since", since.toISOString(), "--nodes", "r1"]);
      expect(recorded(r.events)).toEqual(events.map(encodeEvent));
      expect(r.stderr).toMatch(/2 foreign or malformed message\(s\) skipped/);
      expect(r.metrics).toContain('peerwatch_events_dropped_total{source="nats:receive",reason="foreign or malformed message"} 2');
    }, 60_000);

    it("--speed 1 keeps the recorded gaps, also when the player holds messages longer than a fetch lasts", async () => {
      // 5 s of events in one fetch batch, so the player takes longer than the fetch's 2 s expiry
      // (the recording's ping flood, at 60 s, is left out).
      const events = makeRecording({ node: "r5", seconds: 5 }).filter((e) => e.type !== "net.message" || e.data.msgType !== "ping");
      const f = path.join(env.dir, "slow.ndjson");
      writeRecording(f, events);
      const since = new Date();
      await publish(f, "pub5", env.srv.url);
      const started = Date.now();
      const cli = new LiveCli([
        "replay",
        "--nats",
        env.srv.url,
        "--from-stream",
        "PWR",
        "--since",
        since.toISOString(),
        "--nodes",
        "r5",
        "--speed",
        "1",
        "--metrics",
        "off",
        "--events",
        "-",
        "--log-format",
        "json",
        "--node-name",
        "rr",
      ]);
      expect(await cli.exited).toBe(0);
      const spanS = (events.at(-1)!.ts - events[0]!.ts) / 1e6;
      expect((Date.now() - started) / 1000).toBeGreaterThanOrEqual(spanS - 0.2);
      expect(cli.events.filter((e) => e.node === "r5" && e.type !== "alert").map(encodeEvent)).toEqual(events.map(encodeEvent));
    }, 60_000);

    it("refuses a half-given range with exit 2 and a clear message", async () => {
      const a = new LiveCli(["replay", "--from-stream", "PWR", "--metrics", "off"]);
      expect(await a.exited).toBe(2);
      expect(a.stderr).toMatch(/--from-stream needs --nats/);
      const b = new LiveCli(["replay", "--nats", env.srv.url, "--from-stream", "PWR", "--since", "yesterday", "--metrics", "off"]);
      expect(await b.exited).toBe(2);
      expect(b.stderr).toMatch(/--since.*ISO 8601/);
      const c = new LiveCli(["replay", "--nats", env.srv.url, "--from-stream", "NOPE", "--metrics", "off"]);
      expect(await c.exited).toBe(2);
      expect(c.stderr).toMatch(/NOPE/);
      const d = new LiveCli(["replay", "--until", "60", "--metrics", "off", path.join(env.dir, "part0.ndjson")]);
      expect(await d.exited).toBe(2);
      expect(d.stderr).toMatch(/--until needs --from-stream/);
    }, 60_000);
  });
}
