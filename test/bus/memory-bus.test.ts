import { afterEach, describe, expect, it } from "vitest";
import { MemoryBus } from "../../src/bus/index.js";
import { BoundedQueue, QueueCapacityError } from "../../src/bus/bounded-queue.js";
import { makeEvent, type PeerwatchEvent } from "../../src/events/index.js";
import { until } from "../helpers/wait.js";

const H = "2f19d430e8274b2f98d467d0139ed51b49b77f242bb728a06737fd6ddb81b2c7";
const tip = (height: number) => makeEvent("ipc", "n1", "tip.changed", { height, hash: H });
const msg = (peerId: number) =>
  makeEvent("ebpf", "n1", "net.message", { peerId, addr: "127.0.0.1:1", connType: "inbound", direction: "in", msgType: "ping", size: 8 });

let bus: MemoryBus;
afterEach(async () => bus?.close(100));

describe("MemoryBus", () => {
  it("delivers in order and filters by type prefix", async () => {
    bus = new MemoryBus({ nodeName: "n1" });
    const all: string[] = [];
    const net: string[] = [];
    bus.subscribe({ name: "all" }, (e) => void all.push(e.type));
    bus.subscribe({ name: "net", prefixes: ["net."] }, (e) => void net.push(e.type));
    bus.publish(tip(1));
    bus.publish(msg(1));
    bus.publish(tip(2));
    await until(() => all.length === 3);
    expect(all).toEqual(["tip.changed", "net.message", "tip.changed"]);
    expect(net).toEqual(["net.message"]);
  });

  it("bounds a slow subscriber's queue, counts the drops and reports them as events.dropped", async () => {
    bus = new MemoryBus({ nodeName: "n1", dropReportIntervalMs: 20 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = bus.subscribe({ name: "slow", prefixes: ["net."], maxQueue: 10 }, () => gate);
    const reports: PeerwatchEvent[] = [];
    bus.subscribe({ name: "watcher", prefixes: ["events.dropped"] }, (e) => void reports.push(e));
    const fast: number[] = [];
    bus.subscribe({ name: "fast", prefixes: ["net."] }, (e) => void fast.push(e.type === "net.message" ? e.data.peerId : -1));

    for (let i = 0; i < 1000; i++) bus.publish(msg(i));
    // The first event is taken by the handler, ten wait, the rest are dropped.
    await until(() => fast.length === 1000);
    expect(slow.pending).toBeLessThanOrEqual(10);
    expect(slow.dropped).toBeGreaterThanOrEqual(989);
    await until(() => reports.length > 0);
    const total = reports.reduce((n, e) => n + (e.type === "events.dropped" ? e.data.count : 0), 0);
    expect(total).toBe(slow.dropped);
    expect(reports[0]).toMatchObject({ source: "peerwatch", type: "events.dropped", data: { source: "bus:slow" } });
    expect(fast).toEqual([...Array(1000).keys()]); // the fast one lost nothing
    release();
    await until(() => slow.pending === 0);
    expect(bus.stats().subscribers.find((s) => s.name === "slow")).toMatchObject({ dropped: slow.dropped });
  });

  it("never drops a loss report, even for a subscriber whose queue is full", async () => {
    bus = new MemoryBus({ nodeName: "n1", dropReportIntervalMs: 20 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const got: PeerwatchEvent[] = [];
    let first = true;
    const sub = bus.subscribe({ name: "writer", maxQueue: 5 }, async (e) => {
      if (first) {
        first = false;
        await gate;
      }
      got.push(e);
    });
    for (let i = 0; i < 100; i++) bus.publish(msg(i));
    bus.publish(makeEvent("ebpf", "n1", "events.dropped", { source: "ebpf", count: 7, reason: "bpftrace lost events" }));
    await new Promise((r) => setTimeout(r, 60)); // a drop report for "writer" is published while it is full
    release();
    await until(() => sub.pending === 0 && got.some((e) => e.type === "events.dropped" && e.data.source === "bus:writer"));
    const reported = got.reduce((n, e) => n + (e.type === "events.dropped" ? e.data.count : 0), 0);
    const delivered = got.filter((e) => e.type === "net.message").length;
    // every message is delivered or reported lost, and the source's own loss report arrived too
    expect(delivered + reported).toBe(100 + 7);
  });

  it("survives a throwing handler and counts it", async () => {
    const errors: string[] = [];
    bus = new MemoryBus({ nodeName: "n1", onHandlerError: (name) => errors.push(name) });
    const got: number[] = [];
    bus.subscribe({ name: "bad" }, () => {
      throw new Error("boom");
    });
    bus.subscribe({ name: "bad-async" }, async () => Promise.reject(new Error("boom")));
    bus.subscribe({ name: "good" }, (e) => void got.push(e.type === "tip.changed" ? e.data.height : -1));
    bus.publish(tip(1));
    bus.publish(tip(2));
    await until(() => got.length === 2 && errors.length === 4);
    expect(errors.sort()).toEqual(["bad", "bad", "bad-async", "bad-async"]);
    expect(bus.stats().subscribers.find((s) => s.name === "bad")?.handlerErrors).toBe(2);
  });

  it("close() delivers what is queued, then stops taking events", async () => {
    bus = new MemoryBus({ nodeName: "n1" });
    const got: number[] = [];
    bus.subscribe({ name: "s" }, async (e) => {
      await new Promise((r) => setTimeout(r, 1));
      got.push(e.type === "tip.changed" ? e.data.height : -1);
    });
    for (let i = 0; i < 20; i++) bus.publish(tip(i));
    await bus.close(5000);
    expect(got).toHaveLength(20);
    bus.publish(tip(99));
    expect(bus.stats().published).toBe(20);
  });

  it("unsubscribe stops delivery", async () => {
    bus = new MemoryBus({ nodeName: "n1" });
    const got: number[] = [];
    const s = bus.subscribe({ name: "s" }, (e) => void got.push(e.ts));
    s.unsubscribe();
    bus.publish(tip(1));
    await new Promise((r) => setTimeout(r, 20));
    expect(got).toEqual([]);
  });
});

describe("MemoryBus batches", () => {
  it("delivers a batch in order to event handlers and whole to batch handlers, each taking only its prefixes", async () => {
    bus = new MemoryBus({ nodeName: "n1" });
    const each: string[] = [];
    const batches: string[][] = [];
    const net: number[] = [];
    bus.subscribe({ name: "each" }, (e) => void each.push(e.type));
    bus.subscribeBatches({ name: "batches" }, (events) => void batches.push(events.map((e) => e.type)));
    bus.subscribeBatches({ name: "net", prefixes: ["net."] }, (events) => void net.push(...events.map((e) => (e.type === "net.message" ? e.data.peerId : -1))));
    bus.publishBatch([msg(1), tip(1), msg(2), msg(3)]);
    await until(() => each.length === 4 && net.length === 3);
    expect(each).toEqual(["net.message", "tip.changed", "net.message", "net.message"]);
    expect(batches).toEqual([["net.message", "tip.changed", "net.message", "net.message"]]);
    expect(net).toEqual([1, 2, 3]);
    expect(bus.stats().published).toBe(4);
  });

  it("gathers single events queued back to back into one call of a batch handler", async () => {
    bus = new MemoryBus({ nodeName: "n1" });
    const sizes: number[] = [];
    bus.subscribeBatches({ name: "b" }, (events) => void sizes.push(events.length));
    for (let i = 0; i < 10; i++) bus.publish(msg(i));
    await until(() => sizes.reduce((a, b) => a + b, 0) === 10);
    expect(sizes).toEqual([10]);
  });

  it("bounds a queue by events, not batches, and counts a batch's drops per event", async () => {
    bus = new MemoryBus({ nodeName: "n1" });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const got: number[] = [];
    const slow = bus.subscribeBatches({ name: "slow", maxQueue: 10 }, async (events) => {
      await gate;
      for (const e of events) got.push(e.type === "net.message" ? e.data.peerId : -1);
    });
    const batch = (from: number, n: number) => Array.from({ length: n }, (_, i) => msg(from + i));
    bus.publishBatch(batch(0, 4)); // queued (the handler takes it on the next turn)
    bus.publishBatch(batch(4, 4));
    bus.publishBatch(batch(8, 4)); // 2 of 4 fit: 10 events queued
    expect(slow.pending).toBe(10);
    expect(slow.dropped).toBe(2);
    bus.publishBatch(batch(12, 3));
    expect(slow.dropped).toBe(5);
    release();
    await until(() => got.length === 10);
    expect(got).toEqual([...Array(10).keys()]);
    expect(bus.stats().subscribers[0]).toMatchObject({ delivered: 10, dropped: 5 });
  });

  it("passes a loss report in a batch through a full queue, and drops nothing when lossless", async () => {
    bus = new MemoryBus({ nodeName: "n1", lossless: true });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let got = 0;
    const s = bus.subscribeBatches({ name: "slow", maxQueue: 3 }, async (events) => {
      await gate;
      got += events.length;
    });
    bus.publishBatch([msg(1), msg(2), msg(3), msg(4), makeEvent("ebpf", "n1", "events.dropped", { source: "ebpf", count: 1, reason: "x" })]);
    bus.publish(msg(5));
    expect(s.dropped).toBe(0);
    expect(bus.room()).toBe(0);
    release();
    await until(() => got === 6);
  });
});

describe("BoundedQueue", () => {
  it("refuses past capacity and keeps FIFO order across compactions", () => {
    const q = new BoundedQueue<number>(3000);
    for (let i = 0; i < 3000; i++) expect(q.push(i)).toBe(true);
    expect(q.push(3000)).toBe(false);
    for (let i = 0; i < 2000; i++) expect(q.shift()).toBe(i);
    for (let i = 3000; i < 5000; i++) expect(q.push(i)).toBe(true);
    expect(q.length).toBe(3000);
    for (let i = 2000; i < 5000; i++) expect(q.shift()).toBe(i);
    expect(q.shift()).toBeUndefined();
  });
  it("rejects a capacity below 1", () => {
    expect(() => new BoundedQueue(0)).toThrow(QueueCapacityError);
  });
});
