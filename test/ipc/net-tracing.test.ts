// IPC net-message tracing on par with eBPF, against the C++ stand-in node: node timestamps as event
// time, the same payload prefix decoded by the same code, the trace options reaching the node,
// batches and drops, Tracing.destroy on shutdown, and a node with no room for another subscriber.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { makeEvent, nowMicros, type Emit, type PeerwatchEvent } from "../../src/events/index.js";
import { NetTracing, TraceSubscribeError, type NetTracingOptions } from "../../src/ipc/net-tracing.js";
import { probeCapabilities } from "../../src/ipc/probe.js";
import { IpcSession } from "../../src/ipc/session.js";
import { LiveCli } from "../helpers/cli.js";
import { reportSkip } from "../helpers/skip.js";
import { observeIpc, Standin, standinBinary } from "../helpers/standin.js";
import { until } from "../helpers/wait.js";

const bin = standinBinary();
const skip = "skip" in bin;
const LIMIT = 64 * 1024 * 1024;
const DEFAULTS: NetTracingOptions = { payloadBytes: 64, maxQueueEvents: 65536, maxBatchEvents: 1024, maxBatchWaitUs: 1000 };

/** Events as the IPC source would publish them, with the ts the source chose. */
const collect = () => {
  const events: PeerwatchEvent[] = [];
  const emit: Emit = (type, data, ts) => void events.push(makeEvent("ipc", "t", type, data, ts) as PeerwatchEvent);
  return { events, emit };
};

async function tracingOn(node: Standin, options: NetTracingOptions, onClock?: (d: string) => void) {
  const session = await IpcSession.connect(node.socket, { maxMessageBytes: LIMIT });
  const threadMap = await session.construct();
  const thread = await session.makeThread(threadMap, "trace");
  const caps = await probeCapabilities(session, thread, 5000);
  const { events, emit } = collect();
  const tracing = new NetTracing(session, caps.netTracing!, thread, emit, options, onClock);
  return { session, tracing, events };
}

/** The stamp the stand-in put on the first message of a `trace` command. */
const stampOf = (reply: string) => Number(/stamp=(-?\d+)/.exec(reply)![1]);
/** CLOCK_MONOTONIC now (µs): what steady_clock reads on Linux. */
const monotonicNowUs = () => Number(process.hrtime.bigint() / 1000n);
/** Wall-clock minus monotonic time, read here (the oracle the mapping must agree with). */
const wallMinusMonotonicUs = () => performance.timeOrigin * 1000 + performance.now() * 1000 - monotonicNowUs();

const stat = async (node: Standin, key: string) => new RegExp(`${key}=(\\S+)`).exec(await node.send("stats"))?.[1];
const messages = (events: PeerwatchEvent[]) => events.filter((e): e is PeerwatchEvent<"net.message"> => e.type === "net.message");
const dropped = (events: PeerwatchEvent[]) => events.filter((e) => e.type === "events.dropped").reduce((n, e) => n + (e.data as { count: number }).count, 0);

describe.skipIf(skip)("IPC net-message tracing against the stand-in node", () => {
  let node: Standin;
  let session: IpcSession | undefined;
  beforeAll(async () => {
    node = new Standin((bin as { path: string }).path, ["--tracing"]);
    await node.start();
  });
  afterEach(() => session?.close());
  afterAll(() => node.stop());

  it("maps the node's steady_clock stamps to wall-clock time exactly, keeping the receive time as receivedTs", async () => {
    const t = await tracingOn(node, DEFAULTS);
    session = t.session;
    await t.tracing.subscribe();
    const before = nowMicros();
    // The node saw them 2 s before it sent them (as if peerwatch had stalled); it stamps steady_clock.
    const stamp = stampOf(await node.send("trace 4 0 2000"));
    expect(Math.abs(stamp - monotonicNowUs())).toBeLessThan(3_000_000); // the stand-in's clock is CLOCK_MONOTONIC
    await until(() => messages(t.events).length === 4);
    for (const [i, e] of messages(t.events).entries()) {
      const received = e.data.receivedTs!;
      expect(received).toBeGreaterThanOrEqual(before);
      // Message i is stamped stamp + i µs on the monotonic clock: its wall time, to the ms.
      expect(Math.abs(e.ts - (stamp + i + wallMinusMonotonicUs()))).toBeLessThan(1000);
      expect(received - e.ts).toBeGreaterThan(1_900_000);
      expect(received - e.ts).toBeLessThan(3_000_000);
      if (i > 0) expect(e.ts - messages(t.events)[i - 1]!.ts).toBe(1);
    }
    expect(t.tracing.stats).toMatchObject({ clock: "monotonic", untimed: 0 });
  });

  it("captures the --payload-bytes prefix, a version message whole, and decodes like eBPF (nonce, inv, version's user agent, feefilter)", async () => {
    const t = await tracingOn(node, DEFAULTS);
    session = t.session;
    await t.tracing.subscribe();
    await node.send("trace 4 0");
    await until(() => messages(t.events).length === 4);
    const [ping, inv, version, feefilter] = messages(t.events).map((e) => e.data);
    expect(ping).toMatchObject({ msgType: "ping", size: 8, payloadHex: "0000665544332211", truncated: false, decoded: { nonce: "0000665544332211" } });
    expect(inv).toMatchObject({ msgType: "inv", size: 37, truncated: false, decoded: { entries: 1, invTypes: { wtx: 1 } } });
    expect(inv!.payloadHex).toHaveLength(74);
    // 99 bytes, more than the 64-byte prefix: captured whole all the same, so the user agent (from byte 81) is decoded.
    expect(version).toMatchObject({
      msgType: "version",
      size: 99,
      truncated: false,
      decoded: { version: { version: 70016, services: "0000000000000409", userAgent: "/standin:1.0/", startHeight: 200, relay: true } },
    });
    expect(version!.payloadHex).toHaveLength(198);
    // The node is asked for a version message's worth of every message; the others keep the prefix here.
    expect(await stat(node, "options")).toBe("256,65536,1024,1000");
    expect(feefilter).toMatchObject({ msgType: "feefilter", size: 8, decoded: { feeRateSatVb: 1 } });
  });

  it("decodes the whole version message when the prefix holds it, and captures nothing with 0", async () => {
    const full = await tracingOn(node, { ...DEFAULTS, payloadBytes: 128 });
    await full.tracing.subscribe();
    const none = await tracingOn(node, { ...DEFAULTS, payloadBytes: 0 });
    session = none.session;
    await none.tracing.subscribe();
    await node.send("trace 3 0");
    await until(() => messages(full.events).length === 3 && messages(none.events).length === 3);
    expect(messages(full.events)[2]!.data.decoded).toEqual({
      version: { version: 70016, services: "0000000000000409", userAgent: "/standin:1.0/", startHeight: 200, relay: true },
    });
    for (const e of messages(none.events)) {
      expect(e.data.payloadHex).toBeUndefined();
      expect(e.data.decoded).toBeUndefined();
    }
    full.session.close();
  });

  it("sends the trace options to the node; its queue limit and batches show as drops and callbacks", async () => {
    const t = await tracingOn(node, { payloadBytes: 16, maxQueueEvents: 10, maxBatchEvents: 4, maxBatchWaitUs: 250 });
    session = t.session;
    await t.tracing.subscribe();
    expect(await stat(node, "options")).toBe("256,10,4,250");
    const callbacksBefore = Number(await stat(node, "callbacks"));
    await node.send("trace 12 3");
    // 12 messages into a queue of 10: 10 arrive in batches of 4, 4, 2; the node reports 3 + 2 dropped.
    await until(() => messages(t.events).length === 10 && dropped(t.events) === 5);
    expect(Number(await stat(node, "callbacks")) - callbacksBefore).toBe(3);
    expect(t.tracing.stats).toMatchObject({ batches: 3, messages: 10, droppedByNode: 5, invalid: 0 });
    const drop = t.events.find((e) => e.type === "events.dropped");
    expect(drop?.data).toEqual({ source: "ipc", count: 5, reason: "node's trace queue was full (maxQueueEvents)" });
    expect(messages(t.events).every((e) => (e.data.payloadHex?.length ?? 0) <= (e.data.msgType === "version" ? 198 : 32))).toBe(true);
  });

  it("falls back to the receive time when the node's timestamps are on neither clock, and says so once", async () => {
    const notices: string[] = [];
    const t = await tracingOn(node, DEFAULTS, (d) => notices.push(d));
    session = t.session;
    await t.tracing.subscribe();
    const before = nowMicros();
    await node.send(`trace 3 0 ${10 * 86400 * 1000}`);
    await until(() => messages(t.events).length === 3);
    for (const e of messages(t.events)) {
      expect(e.ts).toBeGreaterThanOrEqual(before);
      expect(e.data.receivedTs).toBeUndefined();
    }
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/neither this host's monotonic clock .* nor wall-clock time/);
    expect(t.tracing.stats.untimed).toBe(3);
  });

  it("ends the subscription and releases Tracing on close (Handler.destroy, Tracing.destroy)", async () => {
    const t = await tracingOn(node, DEFAULTS);
    session = t.session;
    await t.tracing.subscribe();
    const subs = Number(await stat(node, "subscribers"));
    const [h, tr] = [Number(await stat(node, "handler_destroyed")), Number(await stat(node, "tracing_destroyed"))];
    await t.tracing.close();
    expect(Number(await stat(node, "subscribers"))).toBe(subs - 1);
    expect(Number(await stat(node, "handler_destroyed"))).toBe(h + 1);
    expect(Number(await stat(node, "tracing_destroyed"))).toBe(tr + 1);
    await node.send("trace 2 0");
    await new Promise((r) => setTimeout(r, 200));
    expect(messages(t.events)).toHaveLength(0);
  });
});

describe.skipIf(skip)("IPC net-message tracing from a node that stamps wall-clock time", () => {
  it("takes wall-clock stamps as they are", async () => {
    const node = new Standin((bin as { path: string }).path, ["--tracing", "--clock=wall"]);
    await node.start();
    const t = await tracingOn(node, DEFAULTS);
    try {
      await t.tracing.subscribe();
      const stamp = stampOf(await node.send("trace 2 0 1500"));
      expect(Math.abs(stamp - nowMicros())).toBeLessThan(3_000_000);
      await until(() => messages(t.events).length === 2);
      expect(messages(t.events).map((e) => e.ts)).toEqual([stamp, stamp + 1]);
      expect(t.tracing.stats).toMatchObject({ clock: "wall", untimed: 0 });
    } finally {
      t.session.close();
      await node.stop();
    }
  });
});

describe.skipIf(skip)("IPC net-message tracing across a stall of peerwatch", () => {
  it("a 2 s SIGSTOP of observe moves event ts by < 1 ms; receivedTs − ts shows the stall", async () => {
    const node = new Standin((bin as { path: string }).path, ["--tracing"]);
    await node.start();
    const cli = new LiveCli(observeIpc(node.socket, "--rpc-interval", "60"));
    try {
      await cli.waitFor((e) => e.type === "source.status" && (e.data.capabilities ?? []).includes("net-tracing"), 15_000);
      cli.child.kill("SIGSTOP");
      // The node stamps and sends while peerwatch is stopped; the batch waits in the socket.
      const stamp = stampOf(await node.send("trace 4 0"));
      const stalledFor = 2000;
      await new Promise((r) => setTimeout(r, stalledFor)); // the stall under test, not a wait for a condition
      cli.child.kill("SIGCONT");
      await cli.waitFor(() => cli.events.filter((e) => e.type === "net.message").length === 4, 10_000);
      const msgs = cli.events.filter((e): e is PeerwatchEvent<"net.message"> => e.type === "net.message");
      const offset = wallMinusMonotonicUs();
      for (const [i, e] of msgs.entries()) {
        expect(Math.abs(e.ts - (stamp + i + offset))).toBeLessThan(1000);
        expect(e.data.receivedTs! - e.ts).toBeGreaterThan(stalledFor * 1000 - 50_000);
      }
    } finally {
      cli.child.kill("SIGCONT");
      expect(await cli.stop()).toBe(0);
      await node.stop();
    }
  });
});

describe.skipIf(skip)("IPC net-message tracing on a node that limits subscribers", () => {
  let node: Standin;
  beforeAll(async () => {
    node = new Standin((bin as { path: string }).path, ["--tracing", "--max-subscribers=1"]);
    await node.start();
  });
  afterAll(() => node.stop());

  it("says the node has no room for another subscriber, as a retryable refusal", async () => {
    const first = await tracingOn(node, DEFAULTS);
    await first.tracing.subscribe();
    const second = await tracingOn(node, DEFAULTS);
    const err = await second.tracing.subscribe().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TraceSubscribeError);
    expect(err).toMatchObject({ retry: true, message: expect.stringMatching(/no more net-message subscribers.*too many subscribers/) });
    await first.tracing.close();
    await second.tracing.subscribe();
    first.session.close();
    second.session.close();
  });

  it("observe: degraded without net-tracing while refused, then up with it once a slot is free", async () => {
    const holder = await tracingOn(node, DEFAULTS);
    await holder.tracing.subscribe();
    const cli = new LiveCli(observeIpc(node.socket, "--rpc-interval", "60"));
    try {
      const refused = await cli.waitFor((e) => e.type === "source.status" && e.data.state === "degraded", 10_000);
      expect(refused.data).toMatchObject({
        capabilities: ["echo", "rpc", "mining"],
        detail: expect.stringMatching(/net-message tracing not subscribed: the node serves no more net-message subscribers.*trying again in 5 s/),
      });
      await holder.tracing.close();
      const up = await cli.waitFor((e) => e.type === "source.status" && e.data.state === "up" && (e.data.capabilities ?? []).includes("net-tracing"), 15_000);
      expect(up.data).toMatchObject({
        capabilities: ["echo", "rpc", "mining", "net-tracing"],
        detail: expect.stringMatching(/net-message tracing: 64 payload bytes \(version messages 256\), queue 65536/),
      });
    } finally {
      expect(await cli.stop()).toBe(0);
      holder.session.close();
    }
  });
});

describe.skipIf(skip)("IPC net-message tracing on other versions of the fork", () => {
  it("works with a later version that has more option and message fields (same interface IDs), leaving the new options at their defaults", async () => {
    const node = new Standin((bin as { path: string }).path, ["--tracing=next"]);
    await node.start();
    const t = await tracingOn(node, { ...DEFAULTS, payloadBytes: 128 });
    try {
      await t.tracing.subscribe();
      expect(await stat(node, "options")).toBe("256,65536,1024,1000");
      expect(await stat(node, "next_options")).toBe("msgTypes:0,maxEventsPerSecond:0");
      await node.send("trace 4 1 1000");
      await until(() => messages(t.events).length === 4 && dropped(t.events) === 1);
      const [ping, , version] = messages(t.events);
      expect(ping!.data).toMatchObject({ msgType: "ping", decoded: { nonce: "0000665544332211" } });
      expect(version!.data.decoded).toEqual({
        version: { version: 70016, services: "0000000000000409", userAgent: "/standin:1.0/", startHeight: 200, relay: true },
      });
      expect(ping!.data.receivedTs! - ping!.ts).toBeGreaterThan(900_000);
      expect(t.tracing.stats.invalid).toBe(0);
    } finally {
      t.session.close();
      await node.stop();
    }
  });

  it("observe: a refusal other than too many subscribers is degraded, names the schema, and is not retried", async () => {
    const node = new Standin((bin as { path: string }).path, ["--tracing"]);
    await node.start();
    await node.send("refuse unsupported NetMessageTraceOptions version");
    const cli = new LiveCli(observeIpc(node.socket, "--rpc-interval", "60"));
    try {
      const refused = await cli.waitFor((e) => e.type === "source.status" && e.data.state === "degraded", 10_000);
      expect(refused.data).toMatchObject({ capabilities: ["echo", "rpc", "mining"] });
      expect((refused.data as { detail: string }).detail).toMatch(
        /net-message tracing not subscribed: the node refused the subscription; its tracing interface may be a newer or older version of the fork than capnp\/experimental\/tracing_net\.capnp: .*unsupported NetMessageTraceOptions version$/,
      );
      await node.send("refuse none");
      await new Promise((r) => setTimeout(r, 6000));
      expect(await stat(node, "subscribers")).toBe("0");
    } finally {
      expect(await cli.stop()).toBe(0);
      await node.stop();
    }
  });
});

describe.skipIf(skip)("peerwatch observe: IPC tracing flags and shutdown", () => {
  it("passes --payload-bytes and the trace options to the node, and calls Tracing.destroy on SIGTERM", async () => {
    const node = new Standin((bin as { path: string }).path, ["--tracing"]);
    await node.start();
    const cli = new LiveCli(
      observeIpc(
        node.socket,
        "--rpc-interval",
        "60",
        "--payload-bytes",
        "24",
        "--ipc-trace-queue-events",
        "500",
        "--ipc-trace-batch-events",
        "50",
        "--ipc-trace-batch-wait-us",
        "2000",
      ),
    );
    try {
      const up = await cli.waitFor((e) => e.type === "source.status" && (e.data.capabilities ?? []).includes("net-tracing"));
      // Before the subscription succeeded, no status claimed net-tracing.
      const first = cli.events.find((e) => e.type === "source.status" && e.data.state === "up");
      expect(first?.data).toMatchObject({ capabilities: ["echo", "rpc", "mining"], detail: expect.stringMatching(/offers net-message tracing/) });
      expect(up.data).toMatchObject({
        detail: expect.stringMatching(/24 payload bytes \(version messages 256\), queue 500, batches of up to 50 within 2000 µs/),
      });
      expect(await stat(node, "options")).toBe("256,500,50,2000");
      await node.send("trace 2 0");
      const m = await cli.waitFor((e) => e.type === "net.message");
      expect(m.data).toMatchObject({ msgType: "ping", payloadHex: "0000665544332211", receivedTs: expect.any(Number) });
    } finally {
      expect(await cli.stop()).toBe(0);
    }
    expect(await stat(node, "handler_destroyed")).toBe("1");
    expect(await stat(node, "tracing_destroyed")).toBe("1");
    await node.stop();
  });

  it("does not subscribe with --ipc-trace off, and says so", async () => {
    const node = new Standin((bin as { path: string }).path, ["--tracing"]);
    await node.start();
    const cli = new LiveCli(observeIpc(node.socket, "--ipc-trace", "off"));
    try {
      const up = await cli.waitFor((e) => e.type === "source.status" && e.data.state === "up" && /--ipc-trace off/.test(e.data.detail));
      expect(up.data).toMatchObject({ capabilities: ["echo", "rpc", "mining"] });
      expect(await stat(node, "subscribers")).toBe("0");
    } finally {
      expect(await cli.stop()).toBe(0);
      await node.stop();
    }
  });
});

if (skip) reportSkip("IPC net-message tracing against the stand-in node", (bin as { skip: string }).skip);
