// A flood from the stand-in node delivered the way the tracing fork's net_trace.cpp delivers it: a
// producer adds messages at a rate into the subscriber's bounded queue (maxQueueEvents), counting what
// does not fit; one delivery loop sends a batch only when the previous call has returned, the batch
// carrying the drops since the last one. peerwatch must count every delivered message and report
// exactly the node's drops as events.dropped. No assertion here depends on how fast the machine is:
// drops are forced (a small queue and a consumer made slow), and "no drops" uses a queue larger than
// the whole flood.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LiveCli } from "../helpers/cli.js";
import { makeEvent, type Emit, type PeerwatchEvent } from "../../src/events/index.js";
import { NetTracing, type NetTracingOptions } from "../../src/ipc/net-tracing.js";
import { probeCapabilities } from "../../src/ipc/probe.js";
import { IpcSession } from "../../src/ipc/session.js";
import { reportSkip } from "../helpers/skip.js";
import { observeIpc, Standin, standinBinary } from "../helpers/standin.js";
import { until } from "../helpers/wait.js";

const bin = standinBinary();
const skip = "skip" in bin;
const LIMIT = 64 * 1024 * 1024;
const QUEUE_FULL = "node's trace queue was full (maxQueueEvents)";

/** A client of the stand-in whose emit takes `spinUs` of CPU per net.message (a slow consumer when > 0). */
async function tracingOn(node: Standin, options: NetTracingOptions, spinUs = 0) {
  const session = await IpcSession.connect(node.socket, { maxMessageBytes: LIMIT });
  const threadMap = await session.construct();
  const thread = await session.makeThread(threadMap, "trace");
  const caps = await probeCapabilities(session, thread, 5000);
  const events: PeerwatchEvent[] = [];
  const emit: Emit = (type, data, ts) => {
    events.push(makeEvent("ipc", "t", type, data, ts) as PeerwatchEvent);
    if (spinUs > 0 && type === "net.message") {
      const end = performance.now() + spinUs / 1000;
      while (performance.now() < end) {} // the consumer is busy: the node's call has not returned yet
    }
  };
  const tracing = new NetTracing(session, caps.netTracing!, thread, emit, options);
  await tracing.subscribe();
  return { session, tracing, events };
}

/** The counts in the stand-in's "ok flood ..." reply. */
function floodReply(reply: string) {
  const n = (k: string) => Number(new RegExp(`${k}=(\\d+)`).exec(reply)?.[1]);
  expect(reply).toMatch(/^ok flood /);
  return { produced: n("produced"), queued: n("queued"), dropped: n("dropped"), delivered: n("delivered"), subscribers: n("subscribers") };
}

const messages = (events: PeerwatchEvent[]) => events.filter((e): e is PeerwatchEvent<"net.message"> => e.type === "net.message");
const drops = (events: PeerwatchEvent[]) =>
  events.filter((e) => e.type === "events.dropped").map((e) => e.data as { source: string; count: number; reason: string });
/** Message i's ping carries nonce 0x1122334455660000 + i, little-endian on the wire (every 4th message is a ping). */
const pingIndex = (e: PeerwatchEvent<"net.message">) =>
  Number(Buffer.from((e.data.decoded as { nonce: string }).nonce, "hex").readBigUInt64LE() - 0x1122334455660000n);
/**
 * The node stamps each message on steady_clock when it produces it, so the stamps never go back. peerwatch
 * maps them to wall-clock time with the offset it reads once per batch (readClocks), which can differ by
 * some µs from batch to batch: event ts may step back by that much between batches, never more.
 */
function expectMonotonic(msgs: PeerwatchEvent<"net.message">[]) {
  let back = 0;
  for (let i = 1; i < msgs.length; i++) back = Math.max(back, msgs[i - 1]!.ts - msgs[i]!.ts);
  expect(back).toBeLessThan(1000);
}

describe.skipIf(skip)("IPC net-message tracing: a flood from the stand-in node, queued and delivered like the fork", () => {
  let node: Standin;
  let current: Awaited<ReturnType<typeof tracingOn>> | undefined;
  beforeAll(async () => {
    node = new Standin((bin as { path: string }).path, ["--tracing"]);
    await node.start();
  });
  // Handler.destroy before the next test, so that its flood has one subscriber (a disconnect alone may land late).
  afterEach(async () => {
    await current?.tracing.close();
    current?.session.close();
    current = undefined;
  });
  afterAll(() => node.stop());

  it("a slow consumer behind a queue of 64: the node drops, and peerwatch reports exactly those drops; counted + dropped = produced", async () => {
    // 3000 messages at 20,000/s into 64 slots, against a consumer that needs 300 µs a message
    // (at most ~3300/s): the queue must overflow however slow or loaded the machine is.
    const t = await tracingOn(node, { payloadBytes: 64, maxQueueEvents: 64, maxBatchEvents: 16, maxBatchWaitUs: 1000 }, 300);
    current = t;
    const r = floodReply(await node.send("flood 3000 20000", 60_000));
    expect(r).toMatchObject({ produced: 3000, subscribers: 1 });
    expect(r.queued + r.dropped).toBe(3000);
    expect(r.dropped).toBeGreaterThan(0);
    expect(r.delivered).toBe(r.queued);
    // The stand-in counts a batch delivered when its call returned: peerwatch had emitted it by then.
    await until(() => messages(t.events).length === r.delivered, 10_000);
    const counted = messages(t.events).length;
    const reported = drops(t.events);
    expect(reported.every((d) => d.source === "ipc" && d.reason === QUEUE_FULL)).toBe(true);
    const dropped = reported.reduce((n, d) => n + d.count, 0);
    expect(dropped).toBe(r.dropped);
    expect(counted + dropped).toBe(r.produced);
    expect(t.tracing.stats).toMatchObject({ messages: counted, droppedByNode: r.dropped, invalid: 0 });
    // Never more than a batch of 16 per call.
    expect(t.tracing.stats.batches).toBeGreaterThanOrEqual(Math.ceil(counted / 16));
    // Delivered in order, stamped when produced (steady_clock, monotonic), with their payloads.
    const msgs = messages(t.events);
    expectMonotonic(msgs);
    const pings = msgs.filter((e) => e.data.msgType === "ping").map(pingIndex);
    expect(pings.length).toBeGreaterThan(0);
    for (let i = 1; i < pings.length; i++) expect(pings[i]!).toBeGreaterThan(pings[i - 1]!);
    expect(pings.every((i) => i % 4 === 0 && i < 3000)).toBe(true);
  }, 90_000);

  it("a queue larger than the whole flood: nothing drops, every message arrives once, in order", async () => {
    const t = await tracingOn(node, { payloadBytes: 64, maxQueueEvents: 8192, maxBatchEvents: 1024, maxBatchWaitUs: 1000 });
    current = t;
    const r = floodReply(await node.send("flood 5000 50000", 60_000));
    expect(r).toMatchObject({ produced: 5000, queued: 5000, dropped: 0, delivered: 5000, subscribers: 1 });
    await until(() => messages(t.events).length === 5000, 10_000);
    expect(drops(t.events)).toEqual([]);
    const msgs = messages(t.events);
    expect(msgs.map((e) => e.data.msgType).slice(0, 4)).toEqual(["ping", "inv", "version", "feefilter"]);
    expect(msgs.filter((e) => e.data.msgType === "ping").map(pingIndex)).toEqual(Array.from({ length: 1250 }, (_, k) => 4 * k));
    expectMonotonic(msgs);
    expect(t.tracing.stats).toMatchObject({ messages: 5000, droppedByNode: 0, invalid: 0 });
  }, 90_000);

  it("the ping mix, what a real ping flood traces: the flooding peer's inbound pings, each followed by our outbound pong with its nonce", async () => {
    const t = await tracingOn(node, { payloadBytes: 64, maxQueueEvents: 8192, maxBatchEvents: 1024, maxBatchWaitUs: 1000 });
    current = t;
    expect(await node.send("flood 10 1000 pong")).toMatch(/^error flood mix is trace or ping/);
    const r = floodReply(await node.send("flood 2000 50000 ping", 60_000));
    expect(r).toMatchObject({ produced: 2000, queued: 2000, dropped: 0, delivered: 2000, subscribers: 1 });
    await until(() => messages(t.events).length === 2000, 10_000);
    const msgs = messages(t.events);
    msgs.forEach((e, i) => {
      expect(e.data).toMatchObject({
        msgType: i % 2 === 0 ? "ping" : "pong",
        direction: i % 2 === 0 ? "in" : "out",
        peerId: msgs[0]!.data.peerId,
        connType: "inbound",
        size: 8,
      });
      // The pong echoes the ping before it: both carry ping i's nonce.
      expect(pingIndex(e)).toBe(i - (i % 2));
    });
    expectMonotonic(msgs);
  }, 90_000);

  it("a subscriber that goes away mid-flood ends its delivery; the flood still finishes and says what was delivered", async () => {
    const t = await tracingOn(node, { payloadBytes: 0, maxQueueEvents: 65536, maxBatchEvents: 64, maxBatchWaitUs: 1000 });
    // 4 s of production: the client leaves long before the last message could have been delivered.
    const reply = node.send("flood 40000 10000", 60_000);
    await until(() => messages(t.events).length > 0, 10_000);
    t.session.close();
    const r = floodReply(await reply);
    expect(r).toMatchObject({ produced: 40000, subscribers: 1 });
    expect(r.delivered).toBeLessThan(40000);
    expect(r.delivered).toBeLessThanOrEqual(r.queued);
    expect(await node.send("flood 0 1")).toMatch(/^error flood takes 1\.\./);
  }, 90_000);
});

describe.skipIf(skip)("peerwatch observe: a flood while peerwatch is stopped", () => {
  it("the node's queue overflows while observe is stopped; observe's events.dropped are exactly the node's drops, counted + dropped = produced", async () => {
    const node = new Standin((bin as { path: string }).path, ["--tracing"]);
    await node.start();
    const cli = new LiveCli(observeIpc(node.socket, "--rpc-interval", "60", "--ipc-trace-queue-events", "64", "--ipc-trace-batch-events", "16"));
    try {
      await cli.waitFor((e) => e.type === "source.status" && (e.data.capabilities ?? []).includes("net-tracing"), 15_000);
      cli.child.kill("SIGSTOP");
      // The whole flood is produced while observe is stopped: at most the batch in flight and 64 queued get through.
      const reply = node.send("flood 2000 20000", 60_000, /^(ok|error) flood.*$/m);
      for (let i = 0; ; i++) {
        if (Number(/flood_produced=(\d+)/.exec(await node.send("stats"))?.[1]) === 2000) break;
        if (i > 600) throw new Error("the stand-in did not produce its flood");
        await new Promise((r) => setTimeout(r, 50));
      }
      cli.child.kill("SIGCONT");
      const r = floodReply(await reply);
      expect(r).toMatchObject({ produced: 2000, subscribers: 1 });
      expect(r.delivered).toBe(r.queued);
      expect(r.queued).toBeLessThanOrEqual(64 + 16);
      expect(r.dropped).toBe(2000 - r.queued);
      const ipcDrops = () =>
        cli.events
          .filter((e) => e.type === "events.dropped" && (e.data as { source: string }).source === "ipc")
          .map((e) => e.data as { count: number; reason: string });
      await until(() => messages(cli.events).length === r.queued && ipcDrops().reduce((n, d) => n + d.count, 0) === r.dropped, 10_000);
      expect(ipcDrops().every((d) => d.reason === QUEUE_FULL)).toBe(true);
      expect(messages(cli.events).length + r.dropped).toBe(2000);
    } finally {
      cli.child.kill("SIGCONT");
      expect(await cli.stop()).toBe(0);
      await node.stop();
    }
  }, 90_000);
});

if (skip) reportSkip("IPC net-message tracing: a flood from the stand-in node", (bin as { skip: string }).skip);
