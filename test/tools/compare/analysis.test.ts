// The compare analysis over scripted events with known disagreements: it must report exactly those.
import { describe, expect, it } from "vitest";
import type { EventDataMap } from "../../../src/events/index.js";
import { Comparer, compareEvents } from "../../../src/tools/compare/comparer.js";
import { renderMarkdown, renderText } from "../../../src/tools/compare/render.js";
import { ev, msg, peer } from "../../helpers/events.js";
import { hash, scenario } from "./scenario.js";

describe("compare: blocks", () => {
  const r = compareEvents(scenario());

  it("counts per source the blocks it saw after the starting tip, and its delay after the earliest source", () => {
    expect(r.blocks).toEqual({
      ebpf: { seen: 3, of: 4, medianDelayMs: 0, maxDelayMs: 0, first: 3, missed: [{ height: 104, hash: hash(104) }] },
      ipc: { seen: 4, of: 4, medianDelayMs: 1.5, maxDelayMs: 3, first: 1, missed: [] },
      // Its tip went from 101 to 103 between two polls: 102 is coalesced, not missed.
      rpc: { seen: 3, of: 4, medianDelayMs: 5100, maxDelayMs: 7100, first: 0, missed: [], coalesced: 1 },
    });
  });

  it("shows blocks IPC's tip jumped over (named in skippedBlocks) as coalesced, not missed", () => {
    const block = (h: number, at: number) => ev("block.connected", { hash: hash(h), height: h, txs: 1, inputs: 1, sigops: 1, connectNs: 1 }, at, "ebpf");
    const events = [
      ev("source.status", { source: "ipc", state: "up", detail: "x", capabilities: ["mining"] }, 0, "ipc"),
      ev("source.status", { source: "ebpf", state: "up", detail: "x", capabilities: ["validation"] }, 0, "ebpf"),
      ev("tip.changed", { height: 1, hash: hash(1) }, 0, "ipc"),
      // generatetoaddress 3: three blocks, one push.
      block(2, 1.001),
      block(3, 1.002),
      block(4, 1.003),
      ev(
        "tip.changed",
        {
          height: 4,
          hash: hash(4),
          skipped: 2,
          skippedBlocks: [
            { height: 2, hash: hash(2) },
            { height: 3, hash: hash(3) },
          ],
        },
        1.004,
        "ipc",
      ),
      block(5, 2.001),
    ];
    const b = compareEvents(events).blocks;
    expect(b.ipc).toEqual({ seen: 1, of: 4, medianDelayMs: 1, maxDelayMs: 1, first: 0, missed: [{ height: 5, hash: hash(5) }], coalesced: 2 });
    expect(renderText(compareEvents(events))).toMatch(/ipc: 2 blocks came in a tip jump .*coalesced, not missed/);
  });

  it("does not count the tip a source finds on (re)connecting as a block it saw arrive", () => {
    const events = [
      ev("source.status", { source: "ipc", state: "up", detail: "x", capabilities: ["mining"] }, 0, "ipc"),
      ev("tip.changed", { height: 5, hash: hash(5) }, 0, "ipc"),
      ev("block.connected", { hash: hash(6), height: 6, txs: 1, inputs: 1, sigops: 1, connectNs: 1 }, 1, "ebpf"),
      ev("tip.changed", { height: 6, hash: hash(6) }, 1.01, "ipc"),
      ev("source.status", { source: "ipc", state: "down", detail: "lost" }, 2, "ipc"),
      ev("block.connected", { hash: hash(7), height: 7, txs: 1, inputs: 1, sigops: 1, connectNs: 1 }, 3, "ebpf"),
      ev("source.status", { source: "ipc", state: "up", detail: "x", capabilities: ["mining"] }, 4, "ipc"),
      // Found on reconnecting: IPC did not watch block 7 arrive.
      ev("tip.changed", { height: 7, hash: hash(7) }, 4, "ipc"),
    ];
    const b = compareEvents(events).blocks;
    expect(b.ipc).toMatchObject({ seen: 1, of: 2, maxDelayMs: 10, missed: [{ height: 7 }] });
    expect(b.ebpf).toMatchObject({ seen: 2, of: 2, first: 2 });
  });
});

describe("compare: blocks from the log", () => {
  it("counts the log's UpdateTip and BlockConnected lines as one source, stamped with the node's line time", () => {
    const events = [
      ev("source.status", { source: "ipc", state: "up", detail: "x", capabilities: ["mining"] }, 0, "ipc"),
      ev("tip.changed", { height: 5, hash: hash(5) }, 0, "ipc"),
      // The node wrote both lines 4 ms before IPC's push arrived.
      ev("block.seen", { hash: hash(6), height: 6 }, 0.996, "log"),
      ev("tip.changed", { height: 6, hash: hash(6) }, 0.996, "log"),
      ev("tip.changed", { height: 6, hash: hash(6) }, 1, "ipc"),
      ev("tip.changed", { height: 7, hash: hash(7) }, 2, "ipc"),
    ];
    const b = compareEvents(events).blocks;
    expect(b.log).toEqual({ seen: 1, of: 2, medianDelayMs: 0, maxDelayMs: 0, first: 1, missed: [{ height: 7, hash: hash(7) }] });
    expect(b.ipc).toMatchObject({ seen: 2, of: 2, maxDelayMs: 4, first: 1 });
  });
});

describe("compare: time precision of the sources", () => {
  it("leaves a log with whole-second times (no -logtimemicros) out of first and the delays, and says so", () => {
    const events = [
      ev("source.status", { source: "ipc", state: "up", detail: "x", capabilities: ["mining"] }, 0, "ipc"),
      ev("tip.changed", { height: 5, hash: hash(5) }, 0, "ipc"),
      ev("block.connected", { hash: hash(6), height: 6, txs: 1, inputs: 1, sigops: 1, connectNs: 1 }, 1.828, "ebpf"),
      // The node wrote its line at 1.827 s; without -logtimemicros it says 1 s.
      ev("tip.changed", { height: 6, hash: hash(6) }, 1, "log"),
      ev("tip.changed", { height: 6, hash: hash(6) }, 1.829, "ipc"),
      ev("block.connected", { hash: hash(7), height: 7, txs: 1, inputs: 1, sigops: 1, connectNs: 1 }, 3.5, "ebpf"),
      ev("tip.changed", { height: 7, hash: hash(7) }, 3, "log"),
      ev("tip.changed", { height: 7, hash: hash(7) }, 3.502, "ipc"),
    ];
    const r = compareEvents(events);
    expect(r.blocks.log).toEqual({ seen: 2, of: 2, medianDelayMs: null, maxDelayMs: null, first: 0, missed: [], wholeSeconds: true });
    expect(r.blocks.ebpf).toMatchObject({ first: 2, medianDelayMs: 0 });
    expect(r.blocks.ipc).toMatchObject({ first: 0, maxDelayMs: 2 });
    expect(renderText(r)).toMatch(/log: its times are whole seconds .* left out of first and the delays/);
  });

  it("ranks a log with microsecond times like any other source", () => {
    const events = [
      ev("source.status", { source: "ipc", state: "up", detail: "x", capabilities: ["mining"] }, 0, "ipc"),
      ev("tip.changed", { height: 5, hash: hash(5) }, 0, "ipc"),
      ev("tip.changed", { height: 6, hash: hash(6) }, 1.827, "log"),
      ev("tip.changed", { height: 6, hash: hash(6) }, 1.829, "ipc"),
    ];
    expect(compareEvents(events).blocks.log).toEqual({ seen: 1, of: 1, medianDelayMs: 0, maxDelayMs: 0, first: 1, missed: [] });
  });
});

describe("compare: peers", () => {
  const r = compareEvents(scenario());

  it("lists per source the peers others saw and it did not", () => {
    expect(r.peers.bySource).toEqual({ ebpf: { peers: 2 }, ipc: { peers: 2 }, rpc: { peers: 2 } });
    const ids = Object.fromEntries(Object.entries(r.peers.missing).map(([k, v]) => [k, v.map((p) => p.peerId)]));
    expect(ids).toEqual({ ebpf: [2], ipc: [2], rpc: [7] });
    expect(r.peers.missing.rpc![0]).toEqual({ peerId: 7, addr: "203.0.113.7:50000", seenBy: ["ebpf", "ipc"] });
  });

  it("finds the connection that came and went between two polls", () => {
    expect(r.peers.shortLived).toEqual([
      {
        peerId: 7,
        addr: "203.0.113.7:50000",
        seenBy: ["ebpf", "ipc"],
        connType: "inbound",
        firstTs: 1_795_470_012_000_000,
        lastTs: 1_795_470_015_000_000,
        lifetimeMs: 3000,
        messages: 4,
      },
    ]);
  });

  it("compares getpeerinfo's bytes per message type with the summed traced sizes (24 header bytes per v1 message)", () => {
    expect(r.peers.bytesFrom).toBe("rpc");
    expect(r.peers.bytesPerMsg).toEqual([
      {
        msgType: "ping",
        direction: "in",
        rpcBytes: 352,
        traced: { ipc: { messages: 11, bytes: 88, overheadPerMsg: 24 }, ebpf: { messages: 11, bytes: 88, overheadPerMsg: 24 } },
      },
      { msgType: "pong", direction: "out", rpcBytes: 96, traced: { ebpf: { messages: 3, bytes: 24, overheadPerMsg: 24 } } },
    ]);
  });

  it("reports no short-lived peer while no poll has happened after it left", () => {
    const events = [ev("peers.snapshot", { peers: [peer(1)] }, 0, "rpc"), ev("net.message", msg(9, "version", "in", 102), 1, "ebpf")];
    expect(compareEvents(events).peers.shortLived).toEqual([]);
  });
});

describe("compare: messages", () => {
  const r = compareEvents(scenario());

  it("counts messages, bytes and the drops each tracing source reported", () => {
    expect(r.messages.bySource).toEqual({
      ebpf: { messages: 17, bytes: 222, dropped: 2, dropReasons: { "bpftrace lost events (perf buffer full)": 2 } },
      ipc: { messages: 16, bytes: 272, dropped: 3, dropReasons: { "node's trace queue was full (maxQueueEvents)": 3 } },
    });
    expect(r.messages.perType.map((t) => [t.msgType, t.direction, t.bySource.ipc?.count ?? 0, t.bySource.ebpf?.count ?? 0])).toEqual([
      ["ping", "in", 12, 12],
      ["pong", "out", 0, 3],
      ["inv", "in", 2, 0],
      ["verack", "in", 1, 1],
      ["version", "in", 1, 1],
    ]);
  });

  it("finds exactly the messages one source saw and the other did not, within the seconds both traced", () => {
    expect(r.messages.matched).toEqual({
      windowMs: 39_000,
      both: 12,
      only: { ipc: 2, ebpf: 3 },
      examples: [
        { peerId: 1, direction: "out", msgType: "pong", size: 8, counts: { ipc: 0, ebpf: 3 } },
        { peerId: 7, direction: "in", msgType: "inv", size: 37, counts: { ipc: 2, ebpf: 0 } },
      ],
    });
  });

  it("measures IPC's delivery delay from the node's timestamp to peerwatch", () => {
    expect(r.messages.ipcDeliveryDelay).toEqual({ samples: 16, medianMs: 1.5, maxMs: 4 });
  });

  it("matches nothing when only one source traced", () => {
    const events = [ev("net.message", msg(1, "ping"), 1, "ebpf"), ev("net.message", msg(1, "ping"), 2, "ebpf")];
    expect(compareEvents(events).messages.matched).toBeNull();
  });
});

describe("compare: cost", () => {
  it("gives CPU seconds per second of the node per thread (http workers summed), of peerwatch and of bpftrace", () => {
    const c = compareEvents(scenario()).cost;
    expect(c.peerwatch).toEqual({ cpuPerSecond: 0.05, seconds: 40 });
    expect(c.bpftrace).toEqual({ cpuPerSecond: 0.2, seconds: 40 });
    expect(c.node).toEqual({
      cpuPerSecond: 0.1275,
      seconds: 40,
      threads: { "b-msghand": 0.1, "b-nettrace": 0.01, "b-net": 0.01, "b-httpworker.*": 0.0075, "bitcoin-node": 0 },
    });
  });

  it("says not measured with fewer than two samples", () => {
    const c = compareEvents([ev("threads.snapshot", { pid: 5, threads: [{ tid: 5, name: "b-net", userSeconds: 1, systemSeconds: 0 }] }, 0, "proc")]).cost;
    expect(c.node).toEqual({ cpuPerSecond: null, seconds: 0, threads: {} });
    expect(c.peerwatch.cpuPerSecond).toBeNull();
  });
});

describe("compare: report", () => {
  const r = compareEvents(scenario());

  it("has the JSON shape the docs promise", () => {
    const j = JSON.parse(JSON.stringify(r)) as Record<string, unknown>;
    expect(Object.keys(j)).toEqual(expect.arrayContaining(["sources", "blocks", "peers", "messages", "cost"]));
    for (const b of Object.values(j.blocks as Record<string, Record<string, unknown>>)) {
      expect(Object.keys(b)).toEqual(expect.arrayContaining(["seen", "medianDelayMs", "maxDelayMs"]));
    }
    expect(Object.keys(j.sources as object).sort()).toEqual(["ebpf", "ipc", "peerwatch", "proc", "rpc"]);
    expect((j.sources as Record<string, { state: string; capabilities: string[] }>).ipc).toMatchObject({
      state: "up",
      capabilities: ["echo", "rpc", "mining", "net-tracing"],
    });
    expect(j.window).toEqual({ startTs: 1_795_470_000_000_000, endTs: 1_795_470_040_501_000, seconds: 40.501 });
  });

  it("is the same whether fed at once or event by event, and renders as text and markdown", () => {
    const c = new Comparer();
    for (const e of scenario()) c.add(e);
    expect(c.report()).toEqual(r);
    const text = renderText(r);
    expect(text).toMatch(/== Blocks/);
    expect(text).toMatch(/rpc +3\/4 +0 +5100 ms +7100 ms +– +1\n/);
    expect(text).toMatch(/Short-lived connections no poll listed: 1\.\n {2}peer 7 203\.0\.113\.7:50000 \(inbound, 3000 ms, 4 messages, seen by ebpf\+ipc\)/);
    expect(text).toMatch(/12 messages seen by both, 2 only by ipc, 3 only by ebpf/);
    expect(text).toMatch(/node b-msghand +0\.1000 s\/s/);
    expect(text).toMatch(/node b-capnp-loop +no such thread/);
    const md = renderMarkdown(r);
    expect(md).toMatch(/^# peerwatch compare/);
    expect(md).toMatch(/\| ebpf \| 3\/4 \| 3 \| 0 ms \| 0 ms \| 104 \|/);
    expect(md).toMatch(/\| ping \| in \| 352 \| 11 \| 88 \| 24 \| 11 \| 88 \| 24 \|/);
  });

  it("counts what the bus lost for the compare tool, since every count is then short", () => {
    const data: EventDataMap["events.dropped"] = { source: "bus:compare", count: 7, reason: "queue full" };
    expect(compareEvents([ev("events.dropped", data, 0, "peerwatch")]).input).toEqual({ events: 1, invalidLines: 0, lost: 7 });
  });
});
